// durable_file.h: the POSIX file handling the frame log and its snapshots share: a file
// descriptor with whole-buffer positional reads and writes (retrying short transfers and
// EINTR), fdatasync/fsync, and the directory operations a crash-safe rename needs.
// Every failure is a libsql::Error that names the file and the system's reason.
//
// Must not: know any file format. Positional I/O only (no shared file offset), so one
// descriptor may serve any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace libsql::replication {

class DurableFile {
 public:
  // Opens an existing file for reading and writing. Throws libsql::Error (SQLITE_CANTOPEN)
  // if it cannot, including when it does not exist.
  static DurableFile open_existing(const std::filesystem::path& path);
  // Creates a file that must not exist yet, for reading and writing.
  static DurableFile create_new(const std::filesystem::path& path);

  DurableFile() = default;
  DurableFile(DurableFile&& other) noexcept;
  DurableFile& operator=(DurableFile&& other) noexcept;
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;
  ~DurableFile();

  // A second descriptor for the same open file, whose errors will name it `name` (the
  // file is about to be renamed there).
  DurableFile duplicate(std::string name) const;

  // Reads exactly `size` bytes at `offset`; the file ending first is SQLITE_CORRUPT.
  void read_at(std::uint64_t offset, void* buffer, std::size_t size) const;
  void write_at(std::uint64_t offset, const void* buffer, std::size_t size) const;
  std::uint64_t size() const;
  // fdatasync: the data and what is needed to read it back (the size).
  void sync_data() const;
  // fsync: also every other piece of metadata; for a file that was just created.
  void sync_all() const;

  const std::string& name() const noexcept { return name_; }
  bool is_open() const noexcept { return fd_ >= 0; }

 private:
  DurableFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  int fd_ = -1;
  std::string name_;
};

// fsync of a directory, so that names created, removed or renamed in it last.
void sync_directory(const std::filesystem::path& directory);

// Swaps two names atomically (renameat2 RENAME_EXCHANGE). Returns false, having done
// nothing, when the system or file system cannot; throws libsql::Error on other failures.
bool exchange_names(const std::filesystem::path& a, const std::filesystem::path& b);

// rename(2), throwing libsql::Error on failure.
void rename_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Removes every entry in `directory` (creating it if missing). Throws libsql::Error.
void clear_directory(const std::filesystem::path& directory);

}  // namespace libsql::replication
