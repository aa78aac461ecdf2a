// durable_file.cc: implements durable_file.h over POSIX calls. Must not know any file
// format or decide what to do about a failure beyond reporting it.

#include "replication/durable_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

#include "libsql/error.h"

namespace libsql::replication {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(PrimaryCode code, const std::string& what, int error) {
  throw Error(code, what + ": " + std::strerror(error));
}

}  // namespace

DurableFile DurableFile::open_existing(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw_errno(PrimaryCode::kCantOpen, "cannot open " + path.string(), errno);
  return DurableFile(fd, path.string());
}

DurableFile DurableFile::create_new(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(PrimaryCode::kCantOpen, "cannot create " + path.string(), errno);
  return DurableFile(fd, path.string());
}

DurableFile::DurableFile(DurableFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

DurableFile& DurableFile::operator=(DurableFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

DurableFile::~DurableFile() {
  if (fd_ >= 0) ::close(fd_);
}

DurableFile DurableFile::duplicate(std::string name) const {
  const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    throw_errno(PrimaryCode::kCantOpen, "cannot duplicate the descriptor of " + name_, errno);
  return DurableFile(fd, std::move(name));
}

void DurableFile::read_at(std::uint64_t offset, void* buffer, std::size_t size) const {
  auto* out = static_cast<std::uint8_t*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd_, out + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno(PrimaryCode::kIoErr,
                  "cannot read " + name_ + " at byte " + std::to_string(offset + done), errno);
    }
    if (got == 0) {
      throw Error(PrimaryCode::kCorrupt, name_ + " ends at byte " + std::to_string(offset + done) +
                                             ", " + std::to_string(size - done) +
                                             " bytes short of what its header promises");
    }
    done += static_cast<std::size_t>(got);
  }
}

void DurableFile::write_at(std::uint64_t offset, const void* buffer, std::size_t size) const {
  const auto* in = static_cast<const std::uint8_t*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t put = ::pwrite(fd_, in + done, size - done, static_cast<off_t>(offset + done));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw_errno(PrimaryCode::kIoErr,
                  "cannot write " + name_ + " at byte " + std::to_string(offset + done), errno);
    }
    done += static_cast<std::size_t>(put);
  }
}

std::uint64_t DurableFile::size() const {
  struct stat status;
  if (::fstat(fd_, &status) != 0) throw_errno(PrimaryCode::kIoErr, "cannot stat " + name_, errno);
  return static_cast<std::uint64_t>(status.st_size);
}

void DurableFile::sync_data() const {
  if (::fdatasync(fd_) != 0) throw_errno(PrimaryCode::kIoErr, "cannot fdatasync " + name_, errno);
}

void DurableFile::sync_all() const {
  if (::fsync(fd_) != 0) throw_errno(PrimaryCode::kIoErr, "cannot fsync " + name_, errno);
}

void sync_directory(const fs::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw_errno(PrimaryCode::kIoErr, "cannot open directory " + directory.string(), errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0)
    throw_errno(PrimaryCode::kIoErr, "cannot fsync directory " + directory.string(), error);
}

bool exchange_names(const fs::path& a, const fs::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return true;
  if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) return false;
  throw_errno(PrimaryCode::kIoErr, "cannot exchange " + a.string() + " and " + b.string(), errno);
#else
  (void)a;
  (void)b;
  return false;
#endif
}

void rename_file(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw_errno(PrimaryCode::kIoErr, "cannot rename " + from.string() + " to " + to.string(),
                errno);
}

void clear_directory(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    throw Error(PrimaryCode::kIoErr, "cannot create " + directory.string() + ": " + ec.message());
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(it->path());
  if (ec)
    throw Error(PrimaryCode::kIoErr, "cannot list " + directory.string() + ": " + ec.message());
  for (const auto& entry : entries) {
    fs::remove_all(entry, ec);
    if (ec)
      throw Error(PrimaryCode::kIoErr, "cannot remove " + entry.string() + ": " + ec.message());
  }
}

}  // namespace libsql::replication
