// `npm run token -- --role admin|marketing|member|visitor [--sub ID] [--ttl 3600] [--tier vip]`
import { tokenCli } from '../gateway/token-cli.js';

const result = await tokenCli(process.argv.slice(2), process.env);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
