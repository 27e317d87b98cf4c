import { startPrivd } from '../../core/privd/server.js';
import { groupGid } from '../../core/privd/authz.js';
import { privdSocket } from '../../core/privilege/client.js';
import type { CliContext } from '../context.js';

// `nova privd`: the root helper a desktop user's Nova talks to (see docs/privilege.md). Runs
// until SIGTERM/SIGINT; under systemd it is socket-activated (resources/systemd).

export function registerPrivdCommand(ctx: CliContext): void {
  ctx.program
    .command('privd')
    .description("Run Nova's privileged helper (as root): switches, TAPs, veths, captures and VFIO devices for desktop users, authorized by polkit")
    .option('--socket <path>', 'unix socket to listen on (default /run/nova/privd.sock, or NOVA_PRIVD_SOCKET)')
    .option('--group <name>', 'where polkit is not running, allow the members of this group')
    .action(async (o: { socket?: string; group?: string }) => {
      if (process.getuid?.() !== 0) throw new Error('nova privd runs as root (it is the one part of Nova that does): start it from a root shell or with systemctl start nova-privd.socket');
      const group = o.group ? { name: o.group, gid: groupGid(o.group) } : undefined;
      const privd = await startPrivd({ socket: o.socket ?? privdSocket(), ...(group ? { group } : {}) });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await privd.close();
    });
}
