// http_streams.cc: stream leases, batons (HMAC-SHA256) and idle expiry.

#include "hrana/http_streams.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

#include "hrana/json_writer.h"

namespace libsql::hrana {

namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kBatonBytes = 16 + kMacBytes;

std::uint64_t random_u64() {
  std::uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return value;
}

void put_u64(unsigned char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(value);
    value >>= 8;
  }
}

std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
  return value;
}

void mac(const std::array<unsigned char, 32>& key, const unsigned char* data, std::size_t size,
         unsigned char* out) {
  std::size_t out_size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), data, size,
                out, kMacBytes, &out_size) == nullptr ||
      out_size != kMacBytes) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
}

[[noreturn]] void invalid_baton() {
  throw ProtocolError(ProtocolError::Kind::kSemantic, "Received an invalid baton");
}

[[noreturn]] void used_baton() {
  throw ProtocolError(ProtocolError::Kind::kSemantic,
                      "Received a baton that has already been used");
}

}  // namespace

HttpStreams::HttpStreams(engine::ConnectionPool& pool, Timeouts timeouts)
    : pool_(pool), timeouts_(timeouts) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

HttpStreams::~HttpStreams() {
  for (auto& [id, entry] : entries_) {
    if (entry.stream && entry.stream->connection)
      pool_.release(std::move(*entry.stream->connection));
  }
}

std::string HttpStreams::make_baton(std::uint64_t id, std::uint64_t sequence) const {
  unsigned char bytes[kBatonBytes];
  put_u64(bytes, id);
  put_u64(bytes + 8, sequence);
  mac(key_, bytes, 16, bytes + 16);
  std::string baton;
  json::append_base64(baton, std::span<const std::uint8_t>(bytes, sizeof bytes));
  return baton;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> HttpStreams::parse_baton(
    const std::string& baton) const {
  Blob bytes;
  if (!json::decode_base64(baton, bytes) || bytes.size() != kBatonBytes) return std::nullopt;
  unsigned char expected[kMacBytes];
  mac(key_, bytes.data(), 16, expected);
  if (CRYPTO_memcmp(expected, bytes.data() + 16, kMacBytes) != 0) return std::nullopt;
  return std::pair{get_u64(bytes.data()), get_u64(bytes.data() + 8)};
}

HttpStreams::Lease HttpStreams::acquire(const std::optional<std::string>& baton,
                                        engine::ConnectionPool::Ticket ticket) {
  if (!baton) {
    auto stream = std::make_unique<HttpStream>();
    stream->connection = pool_.acquire(std::move(ticket));
    std::lock_guard lock(mutex_);
    std::uint64_t id;
    do {
      id = random_u64();
    } while (entries_.contains(id));
    Entry& entry = entries_[id];
    entry.sequence = random_u64();
    entry.leased = true;
    return Lease{id, std::move(stream)};
  }
  // The checks and their order are sqld's (protocol.md §4.2).
  const auto parsed = parse_baton(*baton);
  if (!parsed) invalid_baton();
  const auto [id, sequence] = *parsed;
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(id);
  if (found == entries_.end()) invalid_baton();
  Entry& entry = found->second;
  if (entry.leased) used_baton();
  if (entry.expired) throw StreamExpiredError();
  if (entry.sequence != sequence) used_baton();
  entry.leased = true;
  return Lease{id, std::move(entry.stream)};
}

std::optional<std::string> HttpStreams::release(Lease lease) {
  if (!lease.stream->connection) {
    // Closed: the stream ends here (its stored SQL goes with it).
    std::lock_guard lock(mutex_);
    entries_.erase(lease.id);
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[lease.id];
  entry.stream = std::move(lease.stream);
  entry.leased = false;
  ++entry.sequence;
  // sqld rounds the deadline up to a whole second; a little later is harmless.
  entry.deadline = Clock::now() + timeouts_.idle_expiry;
  return make_baton(lease.id, entry.sequence);
}

void HttpStreams::discard(Lease lease) noexcept {
  if (lease.stream && lease.stream->connection) pool_.release(std::move(*lease.stream->connection));
  std::lock_guard lock(mutex_);
  entries_.erase(lease.id);
}

void HttpStreams::close_connection(HttpStream& stream) noexcept {
  if (stream.connection) pool_.release(std::move(*stream.connection));
  stream.connection.reset();
}

void HttpStreams::expire_idle() {
  std::vector<std::unique_ptr<HttpStream>> expired;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& entry = it->second;
      if (entry.expired && now >= entry.deadline) {
        it = entries_.erase(it);
        continue;
      }
      if (!entry.leased && !entry.expired && now >= entry.deadline) {
        expired.push_back(std::move(entry.stream));
        entry.expired = true;
        entry.deadline = now + timeouts_.remember_expired;
      }
      ++it;
    }
  }
  // Outside the lock: returning a connection rolls back its transaction.
  for (auto& stream : expired) {
    if (stream->connection) pool_.release(std::move(*stream->connection));
  }
}

std::size_t HttpStreams::open_count() const {
  std::lock_guard lock(mutex_);
  std::size_t open = 0;
  for (const auto& [id, entry] : entries_) open += entry.expired ? 0 : 1;
  return open;
}

}  // namespace libsql::hrana
