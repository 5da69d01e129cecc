// A result's evidence back from where the store keeps it: the span of its
// envelope's payload that ingest noted (schema v2), not a copy of the text.
#pragma once

#include <vector>

#include "result.hpp"
#include "storage.hpp"

namespace vigil::store {

// Fills in evidence_json of every result that has an evidence span and no
// text, reading and decoding each envelope once. A missing envelope, one
// that no longer decodes, a span outside its payload or one that does not
// cut out a JSON value is an error naming the host and sequence: the stored
// evidence is damaged, never shown empty.
Status resolve_evidence(Storage& storage, std::vector<StoredResult>& results);

}  // namespace vigil::store
