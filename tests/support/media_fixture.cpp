#include "support/media_fixture.h"

#include <httplib.h>

#include <chrono>
#include <thread>

namespace acid::testing {

struct MediaFixture::Server {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  mutable std::mutex mu;
  std::map<std::string, MediaAnswer> answers;
  std::map<std::string, int> counts;
};

MediaFixture::MediaFixture() : server_(std::make_unique<Server>()) {
  Server &s = *server_;
  s.http.Get(".*", [&s](const httplib::Request &req, httplib::Response &res) {
    MediaAnswer answer;
    bool found = false;
    {
      std::lock_guard lock(s.mu);
      ++s.counts[req.path];
      auto it = s.answers.find(req.path);
      if (it != s.answers.end()) {
        answer = it->second;
        found = true;
      }
    }
    if (!found) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    if (!answer.location.empty()) {
      res.status = 302;
      res.set_header("Location", answer.location);
      return;
    }
    res.status = answer.status;
    res.set_content(answer.body, answer.content_type);
  });
  s.port = s.http.bind_to_any_port("127.0.0.1");
  s.thread = std::thread([&s] { s.http.listen_after_bind(); });
  while (!s.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

MediaFixture::~MediaFixture() {
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string MediaFixture::base_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port);
}

void MediaFixture::serve(const std::string &path, MediaAnswer answer) {
  std::lock_guard lock(server_->mu);
  server_->answers[path] = std::move(answer);
}

int MediaFixture::requests(const std::string &path) const {
  std::lock_guard lock(server_->mu);
  auto it = server_->counts.find(path);
  return it == server_->counts.end() ? 0 : it->second;
}

std::string MediaFixture::tiny_png() {
  static const unsigned char kPng[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
      0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
      0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::string(reinterpret_cast<const char *>(kPng), sizeof kPng);
}

}  // namespace acid::testing
