#include "sync/blob.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "net/http_transport.h"

namespace acid::sync {

namespace {

bool starts_with(std::string_view bytes, std::string_view prefix) {
  return bytes.substr(0, prefix.size()) == prefix;
}

// The bytes are what the type says (a server's Content-Type alone is not trusted).
bool bytes_match(std::string_view mime, std::string_view bytes) {
  if (mime == "image/png") return starts_with(bytes, std::string_view("\x89PNG\r\n\x1a\n", 8));
  if (mime == "image/jpeg") return starts_with(bytes, "\xff\xd8\xff");
  if (mime == "video/mp4") return bytes.size() >= 12 && bytes.substr(4, 4) == "ftyp";
  return false;
}

std::string media_type_of(std::string_view header) {
  std::string type(header.substr(0, header.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

}  // namespace

Result<UploadedBlob> upload_blob(pds::XrpcClient &pds, std::string_view access_jwt,
                                 std::string_view bytes, std::string_view mime_type) {
  pds::RawCall call;
  call.nsid = "com.atproto.repo.uploadBlob";
  call.procedure = true;
  call.body_json.assign(bytes.data(), bytes.size());
  call.content_type = std::string(mime_type);
  call.auth = pds::AuthKind::bearer;
  call.bearer = std::string(access_jwt);
  call.idempotent = true;  // content-addressed: uploading the same bytes twice is one blob
  ACID_ASSIGN_OR_RETURN(auto reply, pds.call(call));
  auto doc = json::parse(reply.body);
  if (!doc || !doc->IsObject() || !doc->HasMember("blob") || !(*doc)["blob"].IsObject()) {
    return Error(Code::pds, "uploadBlob answered without a blob object");
  }
  const rapidjson::Value &blob = (*doc)["blob"];
  UploadedBlob out;
  if (blob.HasMember("ref") && blob["ref"].IsObject()) {
    if (auto link = json::get_string(blob["ref"], "$link")) out.cid = std::string(*link);
  }
  if (auto mime = json::get_string(blob, "mimeType")) out.mime_type = std::string(*mime);
  if (blob.HasMember("size") && blob["size"].IsInt64()) out.size = blob["size"].GetInt64();
  if (out.cid.empty() || out.mime_type.empty()) {
    return Error(Code::pds, "uploadBlob answered a blob without ref or mimeType");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  blob.Accept(w);
  out.json.assign(buf.GetString(), buf.GetSize());
  return out;
}

Result<std::unique_ptr<MediaFetcher>> MediaFetcher::create(MediaFetchOptions options) {
  ACID_ASSIGN_OR_RETURN(auto transport, net::HttpTransport::create(4));
  return std::unique_ptr<MediaFetcher>(new MediaFetcher(std::move(options), std::move(transport)));
}

MediaFetcher::MediaFetcher(MediaFetchOptions options, std::unique_ptr<net::HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)) {}

MediaFetcher::~MediaFetcher() = default;

std::variant<Media, MediaMiss> MediaFetcher::fetch(const std::string &url,
                                                   const std::vector<std::string_view> &accept,
                                                   std::size_t max_bytes) {
  net::HttpRequest req;
  req.url = url;
  req.accept.clear();
  for (std::string_view a : accept) req.accept += (req.accept.empty() ? "" : ", ") + std::string(a);
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.timeout_ms = options_.timeout_ms;
  req.max_body_bytes = max_bytes;
  req.user_agent = options_.user_agent;
  req.max_redirects = options_.max_redirects;
  net::HttpOutcome out = transport_->perform(req);
  if (out.body_too_large) {
    return MediaMiss{"too_large", "more than " + std::to_string(max_bytes) + " bytes"};
  }
  if (out.curl_code != 0) {
    const bool timeout = net::classify_curl(out.curl_code, false) == net::TransferError::timeout;
    return MediaMiss{timeout ? "timeout" : "network", out.curl_message};
  }
  if (out.reply.status != 200) {
    return MediaMiss{"http_status", "answered HTTP " + std::to_string(out.reply.status)};
  }
  if (out.reply.body.empty()) return MediaMiss{"empty", "an empty body"};
  const std::string type = media_type_of(out.reply.header("content-type").value_or(""));
  const bool accepted = std::find(accept.begin(), accept.end(), type) != accept.end();
  if (!accepted || !bytes_match(type, out.reply.body)) {
    return MediaMiss{"not_accepted_type",
                     "Content-Type \"" + type.substr(0, 64) + "\"" +
                         (accepted ? " does not match the bytes" : " is not accepted")};
  }
  return Media{std::move(out.reply.body), type};
}

}  // namespace acid::sync
