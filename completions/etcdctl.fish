# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcdctl_global_optspecs
    string join \n debug no-sync o/output= D/discovery-srv= insecure-discovery C/peers= endpoint= endpoints= cert-file= key-file= ca-file= u/username= timeout= total-timeout= h/help v/version
end

function __fish_etcdctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcdctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcdctl_using_subcommand
    set -l cmd (__fish_etcdctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcdctl -n "__fish_etcdctl_needs_command" -s o -l output -d 'output response in the given format (simple, `extended` or `json`)' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -s D -l discovery-srv -d 'domain name to query for SRV records describing cluster endpoints' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -s C -l peers -d 'DEPRECATED - "--endpoints" should be used instead' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l endpoint -d 'DEPRECATED - "--endpoints" should be used instead' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l endpoints -d 'a comma-delimited list of machine addresses in the cluster' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l cert-file -d 'identify HTTPS client using this SSL certificate file' -r -F
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l key-file -d 'identify HTTPS client using this SSL key file' -r -F
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l ca-file -d 'verify certificates of HTTPS-enabled servers using this CA bundle' -r -F
complete -c etcdctl -n "__fish_etcdctl_needs_command" -s u -l username -d 'provide username[:password] and prompt if password is not supplied.' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l timeout -d 'connection timeout per request' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l total-timeout -d 'timeout for the command execution (except watch)' -r -f
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l debug -d 'output cURL commands which can be used to reproduce the request'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l no-sync -d 'don\'t synchronize cluster information before sending request'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -l insecure-discovery -d 'accept insecure SRV records describing cluster endpoints'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -s v -l version -d 'print the version'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "backup" -d 'backup an etcd directory'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "cluster-health" -d 'check the health of the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "mk" -d 'make a new key with a given value'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "mkdir" -d 'make a new directory'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "rm" -d 'remove a key or a directory'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "rmdir" -d 'removes the key if it is an empty directory or a key-value pair'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "get" -d 'retrieve the value of a key'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "ls" -d 'retrieve a directory'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "set" -d 'set the value of a key'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "setdir" -d 'create a new directory or update an existing directory TTL'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "update" -d 'update an existing key with a given value'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "updatedir" -d 'update an existing directory'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "watch" -d 'watch a key for changes'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "exec-watch" -d 'watch a key for changes and exec an executable'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "member" -d 'member add, remove and list subcommands'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "user" -d 'user add, grant and revoke subcommands'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "role" -d 'role add, grant and revoke subcommands'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "auth" -d 'overall auth controls'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "export" -d 'export a subtree (default: everything) as JSON'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "import" -d 'import a JSON export (from \'etcdctl export\') into the cluster'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "help" -d 'Shows a list of commands or help for one command'
complete -c etcdctl -n "__fish_etcdctl_needs_command" -f -a "h" -d 'Shows a list of commands or help for one command'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l data-dir -d 'Path to the etcd data dir' -r -f -a "(__fish_complete_directories)"
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l wal-dir -d 'Path to the etcd wal dir' -r -f -a "(__fish_complete_directories)"
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l backup-dir -d 'Path to the backup dir' -r -f -a "(__fish_complete_directories)"
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l backup-wal-dir -d 'Path to the backup wal dir' -r -f -a "(__fish_complete_directories)"
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l endpoints -d 'Back up a running member at these URLs over HTTP instead of a data dir (comma-separated)' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -l with-v3 -d 'Backup v3 backend data'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand backup" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand cluster-health" -s f -l forever -d 'forever check the health every 10 second until CTRL+C'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand cluster-health" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand mk" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand mk" -l in-order -d 'create in-order key under directory <key>'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand mk" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand mkdir" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand mkdir" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rm" -l with-value -d 'previous value' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rm" -l with-index -d 'previous index' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rm" -l dir -d 'removes the key if it is an empty directory or a key-value pair'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rm" -s r -l recursive -d 'removes the key and all child keys(if it is a directory)'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rm" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand rmdir" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand get" -l sort -d 'returns result in sorted order'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand get" -s q -l quorum -d 'require quorum for get request'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand get" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand ls" -l sort -d 'returns result in sorted order'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand ls" -s r -l recursive -d 'returns all key names recursively for the given path'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand ls" -s p -d 'append slash (/) to directories'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand ls" -s q -l quorum -d 'require quorum for get request'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand ls" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand set" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand set" -l swap-with-value -d 'previous value' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand set" -l swap-with-index -d 'previous index' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand set" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand setdir" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand setdir" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand update" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand update" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand updatedir" -l ttl -d 'key time-to-live in seconds' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand updatedir" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand watch" -l after-index -d 'watch after the given index' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand watch" -s f -l forever -d 'forever watch a key until CTRL+C'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand watch" -s r -l recursive -d 'returns all values for key and child keys'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand watch" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand exec-watch" -l after-index -d 'watch after the given index' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand exec-watch" -s r -l recursive -d 'watch all values for key and child keys'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand exec-watch" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and not __fish_seen_subcommand_from list add remove update" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and not __fish_seen_subcommand_from list add remove update" -f -a "list" -d 'enumerate existing cluster members'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and not __fish_seen_subcommand_from list add remove update" -f -a "add" -d 'add a new member to the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and not __fish_seen_subcommand_from list add remove update" -f -a "remove" -d 'remove an existing member from the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and not __fish_seen_subcommand_from list add remove update" -f -a "update" -d 'update an existing member in the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and __fish_seen_subcommand_from list" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and __fish_seen_subcommand_from add" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and __fish_seen_subcommand_from remove" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand member; and __fish_seen_subcommand_from update" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "add" -d 'add a new user for the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "get" -d 'get details for a user'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "list" -d 'list all current users'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "remove" -d 'remove a user for the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "grant" -d 'grant roles to an etcd user'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "revoke" -d 'revoke roles for an etcd user'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and not __fish_seen_subcommand_from add get list remove grant revoke passwd" -f -a "passwd" -d 'change password for a user'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from get" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from grant" -l roles -d 'List of roles to grant or revoke' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from grant" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from revoke" -l roles -d 'List of roles to grant or revoke' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from revoke" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "add" -d 'add a new role for the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "get" -d 'get details for a role'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "list" -d 'list all roles'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "remove" -d 'remove a role from the etcd cluster'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "grant" -d 'grant path matches to an etcd role'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and not __fish_seen_subcommand_from add get list remove grant revoke" -f -a "revoke" -d 'revoke path matches for an etcd role'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from add" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from get" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from list" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from remove" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l path -d 'Path granted for the role to access' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l read -d 'Grant read-only access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l write -d 'Grant write-only access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l readwrite -l rw -d 'Grant read-write access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l path -d 'Path revoked for the role to access' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l read -d 'Revoke read access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l write -d 'Revoke write access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l readwrite -l rw -d 'Revoke read-write access'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable" -f -a "enable" -d 'enable auth access controls'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable" -f -a "disable" -d 'disable auth access controls'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand export" -s o -l output -d 'write to this file instead of stdout (replaced atomically)' -r -f
complete -c etcdctl -n "__fish_etcdctl_using_subcommand export" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand import" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand help" -s h -l help -d 'show help'
complete -c etcdctl -n "__fish_etcdctl_using_subcommand h" -s h -l help -d 'show help'
