"""Decodes remote-write bodies with the reference decoders: python-snappy and the protobuf runtime, with classes
protoc generates from prompb's remote.proto and types.proto (beside this script).

Usage: decode_write_request.py GENERATED_DIR BODY...
Prints one JSON document: for each body, its series (labels as [name, value] pairs in wire order, samples as
{bits: the value's IEEE bits in hex, timestamp}) and metadata, and whether re-serialising the decoded message gives the same bytes.
"""
import json
import struct
import sys

sys.path.insert(0, sys.argv[1])
import snappy  # noqa: E402
import remote_pb2  # noqa: E402

result = []
for path in sys.argv[2:]:
    with open(path, "rb") as body:
        raw = snappy.uncompress(body.read())
    request = remote_pb2.WriteRequest()
    request.ParseFromString(raw)
    result.append({
        "series": [
            {
                "labels": [[label.name, label.value] for label in series.labels],
                "samples": [
                    {"bits": struct.pack(">d", sample.value).hex(), "timestamp": sample.timestamp}
                    for sample in series.samples
                ],
            }
            for series in request.timeseries
        ],
        "metadata": [
            {"type": entry.type, "family": entry.metric_family_name, "help": entry.help, "unit": entry.unit}
            for entry in request.metadata
        ],
        "reserialised_identical": request.SerializeToString() == raw,
    })
print(json.dumps(result))
