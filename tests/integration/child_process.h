// Runs a program as a child process for integration tests: captures its
// stdout line by line, signals it, waits for it, and kills it if the test
// ends first.
#ifndef PULSE_TESTS_INTEGRATION_CHILD_PROCESS_H_
#define PULSE_TESTS_INTEGRATION_CHILD_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pulse::testing {

class ChildProcess {
 public:
  // Starts argv[0] with the arguments; stderr goes to `stderr_path` (or is
  // inherited when empty). Returns nullopt when fork or exec fails.
  static std::optional<ChildProcess> Start(const std::vector<std::string>& argv,
                                           const std::string& stderr_path = "") {
    int out[2];
    if (pipe(out) != 0) return std::nullopt;
    const pid_t pid = fork();
    if (pid < 0) return std::nullopt;
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      if (!stderr_path.empty()) {
        const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, STDERR_FILENO);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    ChildProcess p;
    p.pid_ = pid;
    p.out_ = out[0];
    return p;
  }

  ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    pid_ = other.pid_;
    out_ = other.out_;
    buffer_ = std::move(other.buffer_);
    other.pid_ = -1;
    other.out_ = -1;
    return *this;
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // The next line of stdout, or nullopt at EOF or after `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0) return std::nullopt;
      pollfd pfd{out_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(ms)) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }

  // The exit code, -signal when killed by a signal, or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return -WTERMSIG(status);
        return std::nullopt;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return std::nullopt;
  }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

// Runs a command to completion; returns its exit code and stdout.
inline std::pair<int, std::string> RunCommand(const std::vector<std::string>& argv,
                                              absl::Duration timeout = absl::Seconds(120),
                                              const std::string& stderr_path = "") {
  auto child = ChildProcess::Start(argv, stderr_path);
  if (!child.has_value()) return {-1, ""};
  std::string out;
  const absl::Time deadline = absl::Now() + timeout;
  while (auto line = child->ReadLine(deadline - absl::Now())) out += *line + "\n";
  const std::optional<int> code = child->Wait(std::max(absl::Seconds(1), deadline - absl::Now()));
  return {code.value_or(-1000), out};
}

}  // namespace pulse::testing

#endif  // PULSE_TESTS_INTEGRATION_CHILD_PROCESS_H_
