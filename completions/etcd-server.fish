complete -c etcd-server -l name -d 'Human-readable name for this member.' -r -f
complete -c etcd-server -l data-dir -d 'Path to the data directory.' -r -f -a "(__fish_complete_directories)"
complete -c etcd-server -l wal-dir -d 'Path to the dedicated wal directory.' -r -f -a "(__fish_complete_directories)"
complete -c etcd-server -l snapshot-count -d 'Number of committed transactions to trigger a snapshot to disk.' -r -f
complete -c etcd-server -l heartbeat-interval -d 'Time (in milliseconds) of a heartbeat interval.' -r -f
complete -c etcd-server -l election-timeout -d 'Time (in milliseconds) for an election to timeout. See tuning documentation for details.' -r -f
complete -c etcd-server -l listen-peer-urls -d 'List of URLs to listen on for peer traffic.' -r -f
complete -c etcd-server -l listen-client-urls -d 'List of URLs to listen on for client traffic.' -r -f
complete -c etcd-server -l max-request-bytes -d 'Maximum client request size in bytes the server will accept.' -r -f
complete -c etcd-server -l initial-advertise-peer-urls -d 'List of this member\'s peer URLs to advertise to the rest of the cluster.' -r -f
complete -c etcd-server -l initial-cluster -d 'Initial cluster configuration for bootstrapping.' -r -f
complete -c etcd-server -l initial-cluster-state -d 'Initial cluster state (\'new\' or \'existing\').' -r -f
complete -c etcd-server -l initial-cluster-token -d 'Initial cluster token for the etcd cluster during bootstrap. Specifying this can protect you from unintended cross-cluster interaction when running multiple clusters.' -r -f
complete -c etcd-server -l advertise-client-urls -d 'List of this member\'s client URLs to advertise to the public. The client URLs advertised should be accessible to machines that talk to etcd cluster. etcd client libraries parse these URLs to connect to the cluster.' -r -f
complete -c etcd-server -l enable-v2 -d 'Accept etcd V2 client requests. Always on in etcd-server: the flag is accepted for compatibility and \'false\' is ignored.' -r -f -a "true\t''
false\t''"
complete -c etcd-server -l cert-file -d 'Path to the client server TLS cert file.' -r -F
complete -c etcd-server -l key-file -d 'Path to the client server TLS key file.' -r -F
complete -c etcd-server -l client-cert-auth -d 'Enable client cert authentication.' -r -f -a "true\t''
false\t''"
complete -c etcd-server -l trusted-ca-file -d 'Path to the client server TLS trusted CA cert file.' -r -F
complete -c etcd-server -l peer-cert-file -d 'Path to the peer server TLS cert file.' -r -F
complete -c etcd-server -l peer-key-file -d 'Path to the peer server TLS key file.' -r -F
complete -c etcd-server -l peer-client-cert-auth -d 'Enable peer client cert authentication.' -r -f -a "true\t''
false\t''"
complete -c etcd-server -l peer-trusted-ca-file -d 'Path to the peer server TLS trusted CA file.' -r -F
complete -c etcd-server -l cors -d 'Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).' -r -f
complete -c etcd-server -l log-level -d 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.' -r -f
complete -c etcd-server -l force-new-cluster -d 'Force to create a new one-member cluster.' -r -f -a "true\t''
false\t''"
complete -c etcd-server -l config-file -d 'Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.' -r -F
complete -c etcd-server -l version -d 'Show the version of etcd.'
complete -c etcd-server -s h -l help -d 'Show the help information about etcd.'
