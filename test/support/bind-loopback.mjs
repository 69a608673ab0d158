// Preload (`node --import`) for test servers: a listen on a bare port binds to 127.0.0.1 instead of
// every interface, so a test server is never reachable from the network. Every bound address is
// reported on stderr: a server started with PORT=0 binds a port no one else can take meanwhile,
// and its parent learns the port from that line (see listen-line.ts).
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object") {
      process.stderr.write(`bind-loopback: listening on ${address.address}:${address.port}\n`);
    }
  });
  const [first, second] = args;
  const isPort = typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first));
  if (isPort && typeof second !== "string") return listen.call(this, Number(first), "127.0.0.1", ...args.slice(1));
  if (
    first &&
    typeof first === "object" &&
    !Array.isArray(first) &&
    first.port !== undefined &&
    first.host === undefined &&
    first.path === undefined
  ) {
    return listen.call(this, { ...first, host: "127.0.0.1" }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
