// Every record a test wrote, checked against the aesthetic.computer lexicons with Bluesky's
// @atproto/lexicon (tests/lexicon: the lexicon JSON documents kept as fixtures, validate.mjs, and
// install.sh, which installs the npm package once into the build tree).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pds/xrpc_client.h"

namespace acid::sync::test {

// Lists every record of `nsids` in each repo and validates them all. The validator's output
// when something is invalid (Code::invalid), the number of records checked otherwise.
Result<std::size_t> check_repo_records(pds::XrpcClient &client,
                                       const std::vector<std::string> &dids,
                                       const std::vector<std::string> &nsids);

// All collections the mirror writes.
std::vector<std::string> mirrored_nsids();

}  // namespace acid::sync::test
