
use builtin;
use str;

set edit:completion:arg-completer[etcdctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'etcdctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'etcdctl'= {
            cand -o 'output response in the given format (simple, `extended` or `json`)'
            cand --output 'output response in the given format (simple, `extended` or `json`)'
            cand -D 'domain name to query for SRV records describing cluster endpoints'
            cand --discovery-srv 'domain name to query for SRV records describing cluster endpoints'
            cand -C 'DEPRECATED - "--endpoints" should be used instead'
            cand --peers 'DEPRECATED - "--endpoints" should be used instead'
            cand --endpoint 'DEPRECATED - "--endpoints" should be used instead'
            cand --endpoints 'a comma-delimited list of machine addresses in the cluster'
            cand --cert-file 'identify HTTPS client using this SSL certificate file'
            cand --key-file 'identify HTTPS client using this SSL key file'
            cand --ca-file 'verify certificates of HTTPS-enabled servers using this CA bundle'
            cand -u 'provide username[:password] and prompt if password is not supplied.'
            cand --username 'provide username[:password] and prompt if password is not supplied.'
            cand --timeout 'connection timeout per request'
            cand --total-timeout 'timeout for the command execution (except watch)'
            cand --debug 'output cURL commands which can be used to reproduce the request'
            cand --no-sync 'don''t synchronize cluster information before sending request'
            cand --insecure-discovery 'accept insecure SRV records describing cluster endpoints'
            cand -h 'show help'
            cand --help 'show help'
            cand -v 'print the version'
            cand --version 'print the version'
            cand backup 'backup an etcd directory'
            cand cluster-health 'check the health of the etcd cluster'
            cand mk 'make a new key with a given value'
            cand mkdir 'make a new directory'
            cand rm 'remove a key or a directory'
            cand rmdir 'removes the key if it is an empty directory or a key-value pair'
            cand get 'retrieve the value of a key'
            cand ls 'retrieve a directory'
            cand set 'set the value of a key'
            cand setdir 'create a new directory or update an existing directory TTL'
            cand update 'update an existing key with a given value'
            cand updatedir 'update an existing directory'
            cand watch 'watch a key for changes'
            cand exec-watch 'watch a key for changes and exec an executable'
            cand member 'member add, remove and list subcommands'
            cand user 'user add, grant and revoke subcommands'
            cand role 'role add, grant and revoke subcommands'
            cand auth 'overall auth controls'
            cand export 'export a subtree (default: everything) as JSON'
            cand import 'import a JSON export (from ''etcdctl export'') into the cluster'
            cand help 'Shows a list of commands or help for one command'
            cand h 'Shows a list of commands or help for one command'
        }
        &'etcdctl;backup'= {
            cand --data-dir 'Path to the etcd data dir'
            cand --wal-dir 'Path to the etcd wal dir'
            cand --backup-dir 'Path to the backup dir'
            cand --backup-wal-dir 'Path to the backup wal dir'
            cand --endpoints 'Back up a running member at these URLs over HTTP instead of a data dir (comma-separated)'
            cand --with-v3 'Backup v3 backend data'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;cluster-health'= {
            cand -f 'forever check the health every 10 second until CTRL+C'
            cand --forever 'forever check the health every 10 second until CTRL+C'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;mk'= {
            cand --ttl 'key time-to-live in seconds'
            cand --in-order 'create in-order key under directory <key>'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;mkdir'= {
            cand --ttl 'key time-to-live in seconds'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;rm'= {
            cand --with-value 'previous value'
            cand --with-index 'previous index'
            cand --dir 'removes the key if it is an empty directory or a key-value pair'
            cand -r 'removes the key and all child keys(if it is a directory)'
            cand --recursive 'removes the key and all child keys(if it is a directory)'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;rmdir'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;get'= {
            cand --sort 'returns result in sorted order'
            cand -q 'require quorum for get request'
            cand --quorum 'require quorum for get request'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;ls'= {
            cand --sort 'returns result in sorted order'
            cand -r 'returns all key names recursively for the given path'
            cand --recursive 'returns all key names recursively for the given path'
            cand -p 'append slash (/) to directories'
            cand -q 'require quorum for get request'
            cand --quorum 'require quorum for get request'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;set'= {
            cand --ttl 'key time-to-live in seconds'
            cand --swap-with-value 'previous value'
            cand --swap-with-index 'previous index'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;setdir'= {
            cand --ttl 'key time-to-live in seconds'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;update'= {
            cand --ttl 'key time-to-live in seconds'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;updatedir'= {
            cand --ttl 'key time-to-live in seconds'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;watch'= {
            cand --after-index 'watch after the given index'
            cand -f 'forever watch a key until CTRL+C'
            cand --forever 'forever watch a key until CTRL+C'
            cand -r 'returns all values for key and child keys'
            cand --recursive 'returns all values for key and child keys'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;exec-watch'= {
            cand --after-index 'watch after the given index'
            cand -r 'watch all values for key and child keys'
            cand --recursive 'watch all values for key and child keys'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;member'= {
            cand -h 'show help'
            cand --help 'show help'
            cand list 'enumerate existing cluster members'
            cand add 'add a new member to the etcd cluster'
            cand remove 'remove an existing member from the etcd cluster'
            cand update 'update an existing member in the etcd cluster'
        }
        &'etcdctl;member;list'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;member;add'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;member;remove'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;member;update'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user'= {
            cand -h 'show help'
            cand --help 'show help'
            cand add 'add a new user for the etcd cluster'
            cand get 'get details for a user'
            cand list 'list all current users'
            cand remove 'remove a user for the etcd cluster'
            cand grant 'grant roles to an etcd user'
            cand revoke 'revoke roles for an etcd user'
            cand passwd 'change password for a user'
        }
        &'etcdctl;user;add'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;get'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;list'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;remove'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;grant'= {
            cand --roles 'List of roles to grant or revoke'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;revoke'= {
            cand --roles 'List of roles to grant or revoke'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;user;passwd'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role'= {
            cand -h 'show help'
            cand --help 'show help'
            cand add 'add a new role for the etcd cluster'
            cand get 'get details for a role'
            cand list 'list all roles'
            cand remove 'remove a role from the etcd cluster'
            cand grant 'grant path matches to an etcd role'
            cand revoke 'revoke path matches for an etcd role'
        }
        &'etcdctl;role;add'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role;get'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role;list'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role;remove'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role;grant'= {
            cand --path 'Path granted for the role to access'
            cand --read 'Grant read-only access'
            cand --write 'Grant write-only access'
            cand --readwrite 'Grant read-write access'
            cand --rw 'Grant read-write access'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;role;revoke'= {
            cand --path 'Path revoked for the role to access'
            cand --read 'Revoke read access'
            cand --write 'Revoke write access'
            cand --readwrite 'Revoke read-write access'
            cand --rw 'Revoke read-write access'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;auth'= {
            cand -h 'show help'
            cand --help 'show help'
            cand enable 'enable auth access controls'
            cand disable 'disable auth access controls'
        }
        &'etcdctl;auth;enable'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;auth;disable'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;export'= {
            cand -o 'write to this file instead of stdout (replaced atomically)'
            cand --output 'write to this file instead of stdout (replaced atomically)'
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;import'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;help'= {
            cand -h 'show help'
            cand --help 'show help'
        }
        &'etcdctl;h'= {
            cand -h 'show help'
            cand --help 'show help'
        }
    ]
    $completions[$command]
}
