// A minimal blocking HTTP/1.1 client over a raw socket, for tests of the
// /metrics endpoint: one request per connection ("Connection: close").
#ifndef PULSE_TESTS_TESTING_HTTP_CLIENT_H_
#define PULSE_TESTS_TESTING_HTTP_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pulse::testing {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::map<std::string, std::string> headers;  // by lower-case name
  std::string body;
};

// Sends `method path` to 127.0.0.1:`port` with `extra_headers` ("Name: value\r\n"
// lines); nullopt when it cannot connect or the answer is not HTTP.
inline std::optional<HttpResponse> HttpRequest(int port, const std::string& method, const std::string& path,
                                               const std::string& extra_headers = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return std::nullopt;
  }
  const std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                           "Content-Length: 0\r\nConnection: close\r\n", extra_headers, "\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buf[8192];
  while (true) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos || !absl::StartsWith(raw, "HTTP/1.1 ")) return std::nullopt;
  HttpResponse out;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, header_end), "\r\n");
  if (!absl::SimpleAtoi(lines[0].substr(9, 3), &out.status)) return std::nullopt;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    out.headers[name] = std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    if (name == "content-type") out.content_type = out.headers[name];
  }
  out.body = raw.substr(header_end + 4);
  return out;
}

inline std::optional<HttpResponse> HttpGet(int port, const std::string& path, const std::string& extra_headers = "") {
  return HttpRequest(port, "GET", path, extra_headers);
}

}  // namespace pulse::testing

#endif  // PULSE_TESTS_TESTING_HTTP_CLIENT_H_
