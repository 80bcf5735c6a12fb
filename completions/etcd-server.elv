
use builtin;
use str;

set edit:completion:arg-completer[etcd-server] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'etcd-server'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'etcd-server'= {
            cand --name 'Human-readable name for this member.'
            cand --data-dir 'Path to the data directory.'
            cand --wal-dir 'Path to the dedicated wal directory.'
            cand --snapshot-count 'Number of committed transactions to trigger a snapshot to disk.'
            cand --heartbeat-interval 'Time (in milliseconds) of a heartbeat interval.'
            cand --election-timeout 'Time (in milliseconds) for an election to timeout. See tuning documentation for details.'
            cand --listen-peer-urls 'List of URLs to listen on for peer traffic.'
            cand --listen-client-urls 'List of URLs to listen on for client traffic.'
            cand --max-request-bytes 'Maximum client request size in bytes the server will accept.'
            cand --initial-advertise-peer-urls 'List of this member''s peer URLs to advertise to the rest of the cluster.'
            cand --initial-cluster 'Initial cluster configuration for bootstrapping.'
            cand --initial-cluster-state 'Initial cluster state (''new'' or ''existing'').'
            cand --initial-cluster-token 'Initial cluster token for the etcd cluster during bootstrap. Specifying this can protect you from unintended cross-cluster interaction when running multiple clusters.'
            cand --advertise-client-urls 'List of this member''s client URLs to advertise to the public. The client URLs advertised should be accessible to machines that talk to etcd cluster. etcd client libraries parse these URLs to connect to the cluster.'
            cand --enable-v2 'Accept etcd V2 client requests. Always on in etcd-server: the flag is accepted for compatibility and ''false'' is ignored.'
            cand --cert-file 'Path to the client server TLS cert file.'
            cand --key-file 'Path to the client server TLS key file.'
            cand --client-cert-auth 'Enable client cert authentication.'
            cand --trusted-ca-file 'Path to the client server TLS trusted CA cert file.'
            cand --peer-cert-file 'Path to the peer server TLS cert file.'
            cand --peer-key-file 'Path to the peer server TLS key file.'
            cand --peer-client-cert-auth 'Enable peer client cert authentication.'
            cand --peer-trusted-ca-file 'Path to the peer server TLS trusted CA file.'
            cand --cors 'Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).'
            cand --log-level 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.'
            cand --force-new-cluster 'Force to create a new one-member cluster.'
            cand --config-file 'Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.'
            cand --version 'Show the version of etcd.'
            cand -h 'Show the help information about etcd.'
            cand --help 'Show the help information about etcd.'
        }
    ]
    $completions[$command]
}
