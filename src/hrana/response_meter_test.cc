// response_meter_test.cc: responses share one total; each gives its share back.

#include "hrana/response_meter.h"

#include <gtest/gtest.h>

namespace libsql::hrana {
namespace {

constexpr std::size_t kStep = ResponseCharge::kStepBytes;

TEST(ResponseMeter, AChargeGrowsInStepsAndIsGivenBackWhenDestroyed) {
  ResponseMeter meter(10 * kStep);
  {
    ResponseCharge charge(&meter);
    charge.update(kStep - 1);
    EXPECT_EQ(meter.in_flight(), 0u) << "below one step nothing is charged yet";
    charge.update(3 * kStep);
    EXPECT_EQ(meter.in_flight(), 3 * kStep);
    charge.update(3 * kStep + 10);
    EXPECT_EQ(meter.in_flight(), 3 * kStep);
  }
  EXPECT_EQ(meter.in_flight(), 0u);
}

TEST(ResponseMeter, AResponseThatWouldPassTheTotalFails) {
  ResponseMeter meter(4 * kStep);
  ResponseCharge first(&meter);
  first.update(3 * kStep);
  {
    ResponseCharge second(&meter);
    EXPECT_THROW(second.update(2 * kStep), ResponseTooLarge) << "3 + 2 steps > 4";
  }
  EXPECT_EQ(meter.in_flight(), 3 * kStep) << "the failed response gave its share back";
  ResponseCharge third(&meter);
  EXPECT_NO_THROW(third.update(kStep)) << "3 + 1 steps fit";
}

TEST(ResponseMeter, ASingleResponseOverTheTotalFailsOnItsOwn) {
  ResponseMeter meter(2 * kStep);
  ResponseCharge charge(&meter);
  EXPECT_NO_THROW(charge.update(2 * kStep));
  EXPECT_THROW(charge.update(3 * kStep), ResponseTooLarge);
}

TEST(ResponseMeter, WithoutAMeterNothingIsCharged) {
  ResponseCharge charge(nullptr);
  EXPECT_NO_THROW(charge.update(1'000'000'000));
  EXPECT_EQ(charge.charged(), 0u);
}

}  // namespace
}  // namespace libsql::hrana
