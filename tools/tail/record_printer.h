// How streamgate-tail prints what it reads: one JSON line per Kinesis
// record, or, with --deaggregate, one line per user record of a KPL
// aggregated record (its own partition key, explicit hash key and data, and
// its subSequenceNumber inside the aggregate). Pure functions; thread-safe.
#pragma once

#include <string>

#include "tools/tail/stream_reader.h"

namespace streamgate::kinesis {

// {"shardId":..,"sequenceNumber":..,"partitionKey":..,"data":"<base64>"}\n
std::string FormatRecord(const StreamRecord& record);

// FormatRecord for a plain record. For an aggregated one, a line per user
// record: {"shardId","sequenceNumber","subSequenceNumber","partitionKey",
// ["explicitHashKey",] "data"}. An aggregate that does not decode (bad MD5,
// malformed) is printed as a plain record, as the KCL does, and `warning`
// says why; otherwise `warning` is left empty.
std::string FormatDeaggregated(const StreamRecord& record,
                               std::string& warning);

}  // namespace streamgate::kinesis
