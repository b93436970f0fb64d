// Blobs for records: com.atproto.repo.uploadBlob, and the media fetch that feeds it.
//
// The media store is a hosted service (the deployed /media/paintings/<code>.png answers with a
// redirect to object storage), so a fetch is bounded in size and time, follows at most a few
// redirects over http(s) only, and takes only the MIME types the lexicon accepts, checked
// against the bytes themselves. Anything else is a MediaMiss with a short reason, which the
// caller counts; the record is then written without the blob.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "pds/xrpc_client.h"

namespace acid::net {
class HttpTransport;
}

namespace acid::sync {

// The blob object uploadBlob answered ({"$type":"blob","ref":{"$link":...},"mimeType","size"}),
// as JSON, ready to be a record field.
struct UploadedBlob {
  std::string json;
  std::string cid;
  std::string mime_type;
  std::int64_t size = 0;
};

// Uploads `bytes` as `mime_type` to the repo of the session's account.
Result<UploadedBlob> upload_blob(pds::XrpcClient &pds, std::string_view access_jwt,
                                 std::string_view bytes, std::string_view mime_type);

struct Media {
  std::string bytes;
  std::string mime_type;
};

// Why a blob could not be had: "http_status", "not_accepted_type", "too_large", "timeout",
// "network", "empty".
struct MediaMiss {
  std::string reason;
  std::string message;
};

struct MediaFetchOptions {
  std::int64_t connect_timeout_ms = 3'000;
  std::int64_t timeout_ms = 10'000;  // the whole transfer, redirects included
  int max_redirects = 3;
  std::string user_agent = "libacidentity";
};

class MediaFetcher {
 public:
  static Result<std::unique_ptr<MediaFetcher>> create(MediaFetchOptions options = {});
  ~MediaFetcher();
  MediaFetcher(const MediaFetcher &) = delete;
  MediaFetcher &operator=(const MediaFetcher &) = delete;

  // GET `url`: the body when the answer is 200, its type is one of `accept` and the bytes are
  // that type (PNG / JPEG / MP4 signatures), and it is at most max_bytes long.
  std::variant<Media, MediaMiss> fetch(const std::string &url,
                                       const std::vector<std::string_view> &accept,
                                       std::size_t max_bytes);

 private:
  MediaFetcher(MediaFetchOptions options, std::unique_ptr<net::HttpTransport> transport);
  MediaFetchOptions options_;
  std::unique_ptr<net::HttpTransport> transport_;
};

}  // namespace acid::sync
