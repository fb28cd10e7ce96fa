// A second, independent MQTT broker for the end-to-end tests: aedes (npm,
// MQTT 3.1.1, in-memory persistence) on 127.0.0.1:PORT. It keeps the
// sessions of clients with clean_session false and queues their QoS 1
// messages while they are away, like mosquitto.
//   node aedes_broker.mjs NODE_MODULES_DIR PORT
// Prints "aedes ready on PORT" once listening; exits on SIGTERM or SIGINT.
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, portText] = process.argv.slice(2);
const entry = pathToFileURL(path.join(modules, 'aedes', 'aedes.js')).href;
const { Aedes } = await import(entry);
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
server.on('error', (err) => {
  console.error(`aedes: ${err.message}`);
  process.exit(1);
});
broker.on('clientError', (client, err) => {
  console.log(`aedes: client ${client ? client.id : '?'}: ${err.message}`);
});
server.listen(Number(portText), '127.0.0.1', () => {
  console.log(`aedes ready on ${portText}`);
});
const stop = () => {
  server.close();
  broker.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
