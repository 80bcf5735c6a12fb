
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'etcd-server' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'etcd-server'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'etcd-server' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Human-readable name for this member.')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Path to the data directory.')
            [CompletionResult]::new('--wal-dir', '--wal-dir', [CompletionResultType]::ParameterName, 'Path to the dedicated wal directory.')
            [CompletionResult]::new('--snapshot-count', '--snapshot-count', [CompletionResultType]::ParameterName, 'Number of committed transactions to trigger a snapshot to disk.')
            [CompletionResult]::new('--heartbeat-interval', '--heartbeat-interval', [CompletionResultType]::ParameterName, 'Time (in milliseconds) of a heartbeat interval.')
            [CompletionResult]::new('--election-timeout', '--election-timeout', [CompletionResultType]::ParameterName, 'Time (in milliseconds) for an election to timeout. See tuning documentation for details.')
            [CompletionResult]::new('--listen-peer-urls', '--listen-peer-urls', [CompletionResultType]::ParameterName, 'List of URLs to listen on for peer traffic.')
            [CompletionResult]::new('--listen-client-urls', '--listen-client-urls', [CompletionResultType]::ParameterName, 'List of URLs to listen on for client traffic.')
            [CompletionResult]::new('--max-request-bytes', '--max-request-bytes', [CompletionResultType]::ParameterName, 'Maximum client request size in bytes the server will accept.')
            [CompletionResult]::new('--initial-advertise-peer-urls', '--initial-advertise-peer-urls', [CompletionResultType]::ParameterName, 'List of this member''s peer URLs to advertise to the rest of the cluster.')
            [CompletionResult]::new('--initial-cluster', '--initial-cluster', [CompletionResultType]::ParameterName, 'Initial cluster configuration for bootstrapping.')
            [CompletionResult]::new('--initial-cluster-state', '--initial-cluster-state', [CompletionResultType]::ParameterName, 'Initial cluster state (''new'' or ''existing'').')
            [CompletionResult]::new('--initial-cluster-token', '--initial-cluster-token', [CompletionResultType]::ParameterName, 'Initial cluster token for the etcd cluster during bootstrap. Specifying this can protect you from unintended cross-cluster interaction when running multiple clusters.')
            [CompletionResult]::new('--advertise-client-urls', '--advertise-client-urls', [CompletionResultType]::ParameterName, 'List of this member''s client URLs to advertise to the public. The client URLs advertised should be accessible to machines that talk to etcd cluster. etcd client libraries parse these URLs to connect to the cluster.')
            [CompletionResult]::new('--enable-v2', '--enable-v2', [CompletionResultType]::ParameterName, 'Accept etcd V2 client requests. Always on in etcd-server: the flag is accepted for compatibility and ''false'' is ignored.')
            [CompletionResult]::new('--cert-file', '--cert-file', [CompletionResultType]::ParameterName, 'Path to the client server TLS cert file.')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'Path to the client server TLS key file.')
            [CompletionResult]::new('--client-cert-auth', '--client-cert-auth', [CompletionResultType]::ParameterName, 'Enable client cert authentication.')
            [CompletionResult]::new('--trusted-ca-file', '--trusted-ca-file', [CompletionResultType]::ParameterName, 'Path to the client server TLS trusted CA cert file.')
            [CompletionResult]::new('--peer-cert-file', '--peer-cert-file', [CompletionResultType]::ParameterName, 'Path to the peer server TLS cert file.')
            [CompletionResult]::new('--peer-key-file', '--peer-key-file', [CompletionResultType]::ParameterName, 'Path to the peer server TLS key file.')
            [CompletionResult]::new('--peer-client-cert-auth', '--peer-client-cert-auth', [CompletionResultType]::ParameterName, 'Enable peer client cert authentication.')
            [CompletionResult]::new('--peer-trusted-ca-file', '--peer-trusted-ca-file', [CompletionResultType]::ParameterName, 'Path to the peer server TLS trusted CA file.')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.')
            [CompletionResult]::new('--force-new-cluster', '--force-new-cluster', [CompletionResultType]::ParameterName, 'Force to create a new one-member cluster.')
            [CompletionResult]::new('--config-file', '--config-file', [CompletionResultType]::ParameterName, 'Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Show the version of etcd.')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Show the help information about etcd.')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Show the help information about etcd.')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
