// De-aggregates Kinesis records with AWS's own library, aws-kinesis-agg
// (awslabs, pinned in tests/package.json), checksums verified, the way a
// Lambda consumer does. Reads a JSON array of records as GetRecords returns
// them ({shardId, sequenceNumber, partitionKey, data: base64}) on stdin and
// prints one JSON line per user record: {shardId, sequenceNumber,
// subSequenceNumber (null for a plain record), partitionKey,
// explicitHashKey, data: base64, aggregated}. Exits 1 on the first record
// the library refuses (bad checksum, malformed protobuf).
'use strict';

const agg = require('aws-kinesis-agg');

const KPL_MAGIC = Buffer.from('f3899ac2', 'hex');

function main() {
  const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const out = [];
  for (const record of input) {
    const raw = Buffer.from(record.data, 'base64');
    const aggregated = raw.length >= 20 && raw.subarray(0, 4).equals(KPL_MAGIC);
    let failure = null;
    agg.deaggregateSync({
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: record.data,
    }, true, (err, users) => {
      if (err) {
        failure = err;
        return;
      }
      for (const u of users) {
        out.push(JSON.stringify({
          shardId: record.shardId,
          sequenceNumber: u.sequenceNumber,
          subSequenceNumber: u.subSequenceNumber === undefined
              ? null : u.subSequenceNumber,
          partitionKey: u.partitionKey,
          explicitHashKey: u.explicitPartitionKey || null,
          data: u.data,
          aggregated,
        }));
      }
    });
    if (failure) {
      process.stderr.write(`aws-kinesis-agg refused record ${
          record.sequenceNumber} of ${record.shardId}: ${failure}\n`);
      process.exit(1);
    }
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}

main();
