// request_gate.cc: implements request_gate.h.

#include "server/request_gate.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/field.hpp>

#include "hrana/json_writer.h"
#include "sql/statement.h"

namespace libsql::server {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kDefaultNamespace = "default";

std::optional<std::string_view> header(const HttpRequest& request, std::string_view name) {
  const auto found = request.find(name);
  if (found == request.end()) return std::nullopt;
  return std::string_view(found->value().data(), found->value().size());
}

std::optional<std::string_view> header(const HttpRequest& request, http::field field) {
  const auto found = request.find(field);
  if (found == request.end()) return std::nullopt;
  return std::string_view(found->value().data(), found->value().size());
}

HttpResponse json_error(const HttpRequest& request, http::status status, std::string_view message) {
  HttpResponse response(status, request.version());
  response.set(http::field::content_type, "application/json");
  std::string body = hrana::json::error_body(message);
  response.body() = std::move(body);
  return response;
}

// "foo.example.com:8080" -> "foo"; nullopt when the host names no namespace (no dot, an
// IP address, an empty first label).
std::optional<std::string_view> host_label(std::string_view host) {
  if (host.empty() || host.front() == '[') return std::nullopt;  // [::1]:8080
  const std::string_view without_port = host.substr(0, host.rfind(':'));
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(without_port), ec);
  if (!ec) return std::nullopt;
  const std::size_t dot = without_port.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  return without_port.substr(0, dot);
}

class NamespaceAccess final : public hrana::AccessPolicy {
 public:
  NamespaceAccess(std::shared_ptr<Namespace> ns, Access rights)
      : ns_(std::move(ns)), rights_(rights), may_everything_(rights.can_read && rights.can_write) {}

  std::optional<hrana::Error> check(std::string_view statement) const override {
    const NamespaceConfig config = ns_->config();
    if (may_everything_ && !config.block_reads && !config.block_writes) return std::nullopt;
    const bool writes = !sql::classify(statement).is_read_only;
    const Permission needed = writes ? Permission::kWrite : Permission::kRead;
    if (!rights_.allows(needed)) throw hrana::AccessDenied(forbidden_message(needed, ns_->name()));
    if (config.block_reads || (writes && config.block_writes)) {
      return blocked_error(config.block_reason);
    }
    return std::nullopt;
  }

  void statement_ran(bool succeeded, std::uint64_t rows_read,
                     std::uint64_t rows_written) const noexcept override {
    NamespaceMetrics& metrics = *ns_->metrics();
    metrics.statements_executed.increment();
    if (!succeeded) metrics.statement_errors.increment();
    metrics.rows_read.increment(rows_read);
    metrics.rows_written.increment(rows_written);
  }

  std::optional<hrana::Error> check_describe() const override {
    if (!rights_.can_read) {
      throw hrana::AccessDenied(forbidden_message(Permission::kRead, ns_->name()));
    }
    const NamespaceConfig config = ns_->config();
    if (config.block_reads) return blocked_error(config.block_reason);
    return std::nullopt;
  }

 private:
  std::shared_ptr<Namespace> ns_;
  Access rights_;
  bool may_everything_;
};

}  // namespace

std::optional<std::string> decode_base64_text(std::string_view text, bool padded) {
  if (!padded && text.find('=') != std::string_view::npos) return std::nullopt;
  Blob bytes;
  if (!hrana::json::decode_base64(text, bytes)) return std::nullopt;
  return std::string(bytes.begin(), bytes.end());
}

NamespaceChoice choose_namespace(std::optional<std::string_view> namespace_bin,
                                 std::optional<std::string_view> namespace_header,
                                 std::optional<std::string_view> host) {
  NamespaceChoice choice;
  if (namespace_bin) {
    std::optional<std::string> decoded = decode_base64_text(*namespace_bin, /*padded=*/false);
    if (!decoded) {
      choice.error = "Invalid namespace bytes: `x-namespace-bin` is not base64 without padding";
      return choice;
    }
    choice.name = std::move(*decoded);
  } else if (namespace_header) {
    choice.name = std::string(*namespace_header);
  } else if (const auto label = host ? host_label(*host) : std::nullopt) {
    choice.name = std::string(*label);
  } else {
    choice.name = std::string(kDefaultNamespace);
  }
  if (auto why = namespace_name_error(choice.name)) choice.error = "Invalid namespace: " + *why;
  return choice;
}

hrana::Error blocked_error(const std::optional<std::string>& reason) {
  std::string message = "Operation was blocked";
  if (reason) message += ": " + *reason;
  return {std::move(message), "BLOCKED"};
}

std::variant<std::string, HttpResponse> RequestGate::namespace_name(
    const HttpRequest& request) const {
  if (!namespaces_enabled_) return std::string(kDefaultNamespace);
  NamespaceChoice choice =
      choose_namespace(header(request, "x-namespace-bin"), header(request, "x-namespace"),
                       header(request, http::field::host));
  if (choice.error) return json_error(request, http::status::bad_request, *choice.error);
  return std::move(choice.name);
}

std::variant<std::shared_ptr<Namespace>, HttpResponse> RequestGate::namespace_of(
    const HttpRequest& request) {
  auto chosen = namespace_name(request);
  if (auto* refused = std::get_if<HttpResponse>(&chosen)) return std::move(*refused);
  const std::string& name = std::get<std::string>(chosen);
  std::shared_ptr<Namespace> ns = store_.find(name);
  if (!ns) {
    return json_error(request, http::status::not_found, NamespaceError::not_found(name).what());
  }
  return ns;
}

std::variant<RequestGate::Admitted, HttpResponse> RequestGate::admit(
    const HttpRequest& request, std::optional<std::string_view> named) {
  std::shared_ptr<Namespace> ns;
  if (named) {
    if (auto why = namespace_name_error(*named)) {
      return json_error(request, http::status::bad_request, "Invalid namespace: " + *why);
    }
    ns = store_.find(*named);
    if (!ns) {
      return json_error(request, http::status::not_found, NamespaceError::not_found(*named).what());
    }
  } else {
    auto found = namespace_of(request);
    if (auto* refused = std::get_if<HttpResponse>(&found)) return std::move(*refused);
    ns = std::move(std::get<std::shared_ptr<Namespace>>(found));
  }
  const AuthResult result = auth_.authenticate(select_auth_header(
      header(request, http::field::authorization), header(request, "x-authorization")));
  if (const auto* error = std::get_if<AuthError>(&result)) {
    HttpResponse response(http::status::unauthorized, request.version());
    response.set(http::field::content_type, "application/json");
    response.body() = http_unauthorized_body(*error);
    return response;
  }
  const Principal& principal = std::get<Principal>(result);
  const Access rights = principal.access_to(ns->name());
  if (!rights.can_read) {
    // Not told that the namespace exists, as sqld answers.
    return json_error(request, http::status::not_found,
                      NamespaceError::not_found(ns->name()).what());
  }
  Admitted admitted{ns, namespace_access_policy(ns, rights), rights};
  return admitted;
}

std::variant<std::shared_ptr<const hrana::AccessPolicy>, hrana::Error> RequestGate::admit_hello(
    const std::shared_ptr<Namespace>& ns, const std::optional<std::string>& jwt) const {
  const AuthResult result =
      auth_.authenticate_ws_hello(jwt ? std::optional<std::string_view>(*jwt) : std::nullopt);
  if (const auto* error = std::get_if<AuthError>(&result)) return ws_hello_error(*error);
  const Principal& principal = std::get<Principal>(result);
  if (!principal.access_to(ns->name()).can_read) {
    // sqld says hello_ok and drops the connection at the first stream; a hello_error that
    // says why is kinder, and tells nothing a 404 would not.
    return hrana::Error{NamespaceError::not_found(ns->name()).what(), "NAMESPACE_DOESNT_EXIST"};
  }
  return namespace_access_policy(ns, principal.access_to(ns->name()));
}

std::shared_ptr<const hrana::AccessPolicy> namespace_access_policy(std::shared_ptr<Namespace> ns,
                                                                   Access rights) {
  return std::make_shared<NamespaceAccess>(std::move(ns), rights);
}

}  // namespace libsql::server
