
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'etcdctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'etcdctl'
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
        'etcdctl' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'output response in the given format (simple, `extended` or `json`)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output response in the given format (simple, `extended` or `json`)')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'domain name to query for SRV records describing cluster endpoints')
            [CompletionResult]::new('--discovery-srv', '--discovery-srv', [CompletionResultType]::ParameterName, 'domain name to query for SRV records describing cluster endpoints')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'DEPRECATED - "--endpoints" should be used instead')
            [CompletionResult]::new('--peers', '--peers', [CompletionResultType]::ParameterName, 'DEPRECATED - "--endpoints" should be used instead')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'DEPRECATED - "--endpoints" should be used instead')
            [CompletionResult]::new('--endpoints', '--endpoints', [CompletionResultType]::ParameterName, 'a comma-delimited list of machine addresses in the cluster')
            [CompletionResult]::new('--cert-file', '--cert-file', [CompletionResultType]::ParameterName, 'identify HTTPS client using this SSL certificate file')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'identify HTTPS client using this SSL key file')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'verify certificates of HTTPS-enabled servers using this CA bundle')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'provide username[:password] and prompt if password is not supplied.')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'provide username[:password] and prompt if password is not supplied.')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'connection timeout per request')
            [CompletionResult]::new('--total-timeout', '--total-timeout', [CompletionResultType]::ParameterName, 'timeout for the command execution (except watch)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'output cURL commands which can be used to reproduce the request')
            [CompletionResult]::new('--no-sync', '--no-sync', [CompletionResultType]::ParameterName, 'don''t synchronize cluster information before sending request')
            [CompletionResult]::new('--insecure-discovery', '--insecure-discovery', [CompletionResultType]::ParameterName, 'accept insecure SRV records describing cluster endpoints')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'print the version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'print the version')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'backup an etcd directory')
            [CompletionResult]::new('cluster-health', 'cluster-health', [CompletionResultType]::ParameterValue, 'check the health of the etcd cluster')
            [CompletionResult]::new('mk', 'mk', [CompletionResultType]::ParameterValue, 'make a new key with a given value')
            [CompletionResult]::new('mkdir', 'mkdir', [CompletionResultType]::ParameterValue, 'make a new directory')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'remove a key or a directory')
            [CompletionResult]::new('rmdir', 'rmdir', [CompletionResultType]::ParameterValue, 'removes the key if it is an empty directory or a key-value pair')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'retrieve the value of a key')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'retrieve a directory')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'set the value of a key')
            [CompletionResult]::new('setdir', 'setdir', [CompletionResultType]::ParameterValue, 'create a new directory or update an existing directory TTL')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'update an existing key with a given value')
            [CompletionResult]::new('updatedir', 'updatedir', [CompletionResultType]::ParameterValue, 'update an existing directory')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'watch a key for changes')
            [CompletionResult]::new('exec-watch', 'exec-watch', [CompletionResultType]::ParameterValue, 'watch a key for changes and exec an executable')
            [CompletionResult]::new('member', 'member', [CompletionResultType]::ParameterValue, 'member add, remove and list subcommands')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'user add, grant and revoke subcommands')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'role add, grant and revoke subcommands')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'overall auth controls')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'export a subtree (default: everything) as JSON')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'import a JSON export (from ''etcdctl export'') into the cluster')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Shows a list of commands or help for one command')
            [CompletionResult]::new('h', 'h', [CompletionResultType]::ParameterValue, 'Shows a list of commands or help for one command')
            break
        }
        'etcdctl;backup' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Path to the etcd data dir')
            [CompletionResult]::new('--wal-dir', '--wal-dir', [CompletionResultType]::ParameterName, 'Path to the etcd wal dir')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'Path to the backup dir')
            [CompletionResult]::new('--backup-wal-dir', '--backup-wal-dir', [CompletionResultType]::ParameterName, 'Path to the backup wal dir')
            [CompletionResult]::new('--endpoints', '--endpoints', [CompletionResultType]::ParameterName, 'Back up a running member at these URLs over HTTP instead of a data dir (comma-separated)')
            [CompletionResult]::new('--with-v3', '--with-v3', [CompletionResultType]::ParameterName, 'Backup v3 backend data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;cluster-health' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'forever check the health every 10 second until CTRL+C')
            [CompletionResult]::new('--forever', '--forever', [CompletionResultType]::ParameterName, 'forever check the health every 10 second until CTRL+C')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;mk' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('--in-order', '--in-order', [CompletionResultType]::ParameterName, 'create in-order key under directory <key>')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;mkdir' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;rm' {
            [CompletionResult]::new('--with-value', '--with-value', [CompletionResultType]::ParameterName, 'previous value')
            [CompletionResult]::new('--with-index', '--with-index', [CompletionResultType]::ParameterName, 'previous index')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'removes the key if it is an empty directory or a key-value pair')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'removes the key and all child keys(if it is a directory)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'removes the key and all child keys(if it is a directory)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;rmdir' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;get' {
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'returns result in sorted order')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'require quorum for get request')
            [CompletionResult]::new('--quorum', '--quorum', [CompletionResultType]::ParameterName, 'require quorum for get request')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;ls' {
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'returns result in sorted order')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'returns all key names recursively for the given path')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'returns all key names recursively for the given path')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'append slash (/) to directories')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'require quorum for get request')
            [CompletionResult]::new('--quorum', '--quorum', [CompletionResultType]::ParameterName, 'require quorum for get request')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;set' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('--swap-with-value', '--swap-with-value', [CompletionResultType]::ParameterName, 'previous value')
            [CompletionResult]::new('--swap-with-index', '--swap-with-index', [CompletionResultType]::ParameterName, 'previous index')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;setdir' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;update' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;updatedir' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'key time-to-live in seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;watch' {
            [CompletionResult]::new('--after-index', '--after-index', [CompletionResultType]::ParameterName, 'watch after the given index')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'forever watch a key until CTRL+C')
            [CompletionResult]::new('--forever', '--forever', [CompletionResultType]::ParameterName, 'forever watch a key until CTRL+C')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'returns all values for key and child keys')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'returns all values for key and child keys')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;exec-watch' {
            [CompletionResult]::new('--after-index', '--after-index', [CompletionResultType]::ParameterName, 'watch after the given index')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'watch all values for key and child keys')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'watch all values for key and child keys')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;member' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'enumerate existing cluster members')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'add a new member to the etcd cluster')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'remove an existing member from the etcd cluster')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'update an existing member in the etcd cluster')
            break
        }
        'etcdctl;member;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;member;add' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;member;remove' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;member;update' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'add a new user for the etcd cluster')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'get details for a user')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'list all current users')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'remove a user for the etcd cluster')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'grant roles to an etcd user')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'revoke roles for an etcd user')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'change password for a user')
            break
        }
        'etcdctl;user;add' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;get' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;remove' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;grant' {
            [CompletionResult]::new('--roles', '--roles', [CompletionResultType]::ParameterName, 'List of roles to grant or revoke')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;revoke' {
            [CompletionResult]::new('--roles', '--roles', [CompletionResultType]::ParameterName, 'List of roles to grant or revoke')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;user;passwd' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'add a new role for the etcd cluster')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'get details for a role')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'list all roles')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'remove a role from the etcd cluster')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'grant path matches to an etcd role')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'revoke path matches for an etcd role')
            break
        }
        'etcdctl;role;add' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role;get' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role;remove' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role;grant' {
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Path granted for the role to access')
            [CompletionResult]::new('--read', '--read', [CompletionResultType]::ParameterName, 'Grant read-only access')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Grant write-only access')
            [CompletionResult]::new('--readwrite', '--readwrite', [CompletionResultType]::ParameterName, 'Grant read-write access')
            [CompletionResult]::new('--rw', '--rw', [CompletionResultType]::ParameterName, 'Grant read-write access')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;role;revoke' {
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Path revoked for the role to access')
            [CompletionResult]::new('--read', '--read', [CompletionResultType]::ParameterName, 'Revoke read access')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Revoke write access')
            [CompletionResult]::new('--readwrite', '--readwrite', [CompletionResultType]::ParameterName, 'Revoke read-write access')
            [CompletionResult]::new('--rw', '--rw', [CompletionResultType]::ParameterName, 'Revoke read-write access')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;auth' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'enable auth access controls')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'disable auth access controls')
            break
        }
        'etcdctl;auth;enable' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;auth;disable' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'write to this file instead of stdout (replaced atomically)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'write to this file instead of stdout (replaced atomically)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;import' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;help' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
        'etcdctl;h' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'show help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'show help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
