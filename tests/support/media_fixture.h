// A local HTTP stand-in for the media store (aesthetic.computer's /media, a hosted service):
// cpp-httplib on 127.0.0.1 (ephemeral port) answering the paths a test sets with a status,
// Content-Type and body, or a redirect; anything else is 404. Counts requests per path.
//
// Link: cpp-httplib through pkg-config (see tests/sync/CMakeLists.txt).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace acid::testing {

struct MediaAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string location;  // a redirect target (status 302) when set

  static MediaAnswer redirect_to(std::string target) {
    MediaAnswer a;
    a.status = 302;
    a.location = std::move(target);
    return a;
  }
};

class MediaFixture {
 public:
  MediaFixture();
  ~MediaFixture();
  MediaFixture(const MediaFixture &) = delete;
  MediaFixture &operator=(const MediaFixture &) = delete;

  std::string base_url() const;  // http://127.0.0.1:PORT
  void serve(const std::string &path, MediaAnswer answer);
  int requests(const std::string &path) const;

  // A valid 1x1 PNG.
  static std::string tiny_png();

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace acid::testing
