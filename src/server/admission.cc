// admission.cc: the pool's ticket callback turned into an awaitable.

#include "server/admission.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace libsql::server {

namespace asio = boost::asio;
using Ticket = engine::ConnectionPool::Ticket;

asio::awaitable<std::optional<Ticket>> admit(engine::ConnectionPool& pool) {
  if (Ticket ticket = pool.try_reserve()) co_return std::optional<Ticket>(std::move(ticket));
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::optional<Ticket>)>(
      [&pool](auto handler) {
        // Completed exactly once, on the caller's executor, from whichever thread decides.
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        const auto complete = [shared, executor](std::optional<Ticket> outcome) {
          asio::post(executor, [shared, outcome = std::move(outcome)]() mutable {
            (*shared)(std::move(outcome));
          });
        };
        Ticket ticket;
        switch (
            pool.reserve(ticket, [complete](Ticket granted) { complete(std::move(granted)); })) {
          case engine::ConnectionPool::Admission::kGranted:
            complete(std::move(ticket));
            break;
          case engine::ConnectionPool::Admission::kRefused:
            complete(std::nullopt);
            break;
          case engine::ConnectionPool::Admission::kQueued:
            break;
        }
      },
      asio::use_awaitable);
}

}  // namespace libsql::server
