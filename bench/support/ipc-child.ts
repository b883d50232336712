// The child side of the bench's IPC protocol ({ id, cmd, args } in, { id, result | error } out),
// shared by the driver and the floor process. The parent side is bench/support/driver-client.ts.
export function serveIpc(commands: Record<string, (args: any) => unknown>): void {
  process.on('message', (msg: { id: number; cmd: string; args: unknown }) => {
    void (async () => {
      try {
        const fn = commands[msg.cmd];
        if (!fn) throw new Error(`unknown command ${msg.cmd}`);
        process.send!({ id: msg.id, result: await fn(msg.args) });
      } catch (err) {
        process.send!({ id: msg.id, error: (err as Error).stack ?? String(err) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}
