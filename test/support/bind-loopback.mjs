// Preload (`node --import`) for test servers: a listen on a bare port binds to 127.0.0.1 instead of
// every interface, so a test server is never reachable from the network.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
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
