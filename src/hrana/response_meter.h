// response_meter.h: the bytes of every response being built at once, held under sqld's
// --max-total-response-size.
//
// Each response (a result writer) holds a ResponseCharge: it grows with the response and
// is given back when the writer goes away. A response that would take the total past the
// limit fails with ResponseTooLarge, as one over --max-response-size does. Charges move
// in steps of kStepBytes, so a response is told late by at most that much, and the shared
// counter is touched once per step, not once per row.
//
// Must not: allocate, lock, or know about the encodings. Cursors are not metered (sqld
// exempts them: they stream).
#pragma once

#include <atomic>
#include <cstddef>

#include "hrana/result_sink.h"

namespace libsql::hrana {

class ResponseMeter {
 public:
  explicit ResponseMeter(std::size_t limit_bytes) : limit_(limit_bytes) {}
  ResponseMeter(const ResponseMeter&) = delete;
  ResponseMeter& operator=(const ResponseMeter&) = delete;

  std::size_t limit() const { return limit_; }
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  friend class ResponseCharge;
  std::atomic<std::size_t> in_flight_{0};
  const std::size_t limit_;
};

class ResponseCharge {
 public:
  static constexpr std::size_t kStepBytes = 16 * 1024;

  // No meter: nothing is charged (tests, and callers without a total limit).
  explicit ResponseCharge(ResponseMeter* meter) : meter_(meter) {}
  ~ResponseCharge() { release(); }
  ResponseCharge(const ResponseCharge&) = delete;
  ResponseCharge& operator=(const ResponseCharge&) = delete;

  // The response now holds `bytes`. Throws ResponseTooLarge if all responses together
  // would pass the limit (this response's charge stays until it is destroyed).
  void update(std::size_t bytes) {
    if (meter_ == nullptr || bytes < charged_ + kStepBytes) return;
    const std::size_t added = bytes - charged_;
    charged_ = bytes;
    const std::size_t total =
        meter_->in_flight_.fetch_add(added, std::memory_order_relaxed) + added;
    if (total > meter_->limit_) throw ResponseTooLarge();
  }

  std::size_t charged() const { return charged_; }

 private:
  void release() {
    if (meter_ != nullptr && charged_ > 0) {
      meter_->in_flight_.fetch_sub(charged_, std::memory_order_relaxed);
    }
    charged_ = 0;
  }

  ResponseMeter* meter_;
  std::size_t charged_ = 0;
};

}  // namespace libsql::hrana
