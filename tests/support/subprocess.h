// subprocess.h: runs a program for a test, reads its output lines with a deadline, and
// makes sure it is gone when the test ends.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace libsql::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr both go to one pipe we read.
  explicit Subprocess(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    output_fd_ = fds[0];
    if (rc != 0) {
      close(output_fd_);
      throw std::runtime_error("cannot start " + argv[0]);
    }
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess() {
    if (!exit_status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(output_fd_);
  }

  // Reads output until a line containing `needle` arrives; returns that line, or
  // nullopt at EOF or after `timeout`.
  std::optional<std::string> wait_for_line(
      const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      for (auto newline = pending_.find('\n'); newline != std::string::npos;
           newline = pending_.find('\n')) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        output_ += line + "\n";
        if (line.find(needle) != std::string::npos) return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{output_fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[4096];
      const ssize_t n = read(output_fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Everything read so far (including the rest of the pipe once the process exited).
  std::string output() {
    wait_for_line("\x01never\x01", std::chrono::milliseconds(0));
    return output_ + pending_;
  }

  void send_signal(int sig) { kill(pid_, sig); }

  // Waits up to `timeout` for the exit; returns the exit status, or nullopt if it is
  // still running (or died by a signal: then -signal).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_status_) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Drain what the process wrote before exiting.
    char buf[4096];
    pollfd pfd{output_fd_, POLLIN, 0};
    while (poll(&pfd, 1, 0) > 0) {
      const ssize_t n = read(output_fd_, buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
    return exit_status_;
  }

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string pending_;
  std::string output_;
  std::optional<int> exit_status_;
};

}  // namespace libsql::testing
