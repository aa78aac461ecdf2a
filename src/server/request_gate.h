// request_gate.h: what every user request passes before it touches a database: which
// namespace it names, whether that namespace exists, whether its credential may use it,
// and the AccessPolicy its statements are then checked against (permissions and the
// namespace's blocks).
//
// The answers are sqld's (see auth.h for the renderings): a missing namespace is 404
// before any credential is looked at; a bad credential 401; a credential without access
// to the namespace 404, as if it did not exist; a statement the credential may not run
// 403 (hrana::AccessDenied, thrown by the policy); a blocked one the BLOCKED statement
// error.
//
// Must not: run SQL, or know the routes it guards. Thread-safe, and fit for network
// threads: finding a namespace looks at its directory and builds its (empty) pool, no
// more.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "hrana/access.h"
#include "server/auth.h"
#include "server/http_listener.h"
#include "server/namespaces.h"

namespace libsql::server {

// Standard base64 as text, with or without '=' padding (`padded`: allowed, as tonic reads
// binary metadata) or refusing it (as sqld reads the x-namespace-bin header); nullopt when
// malformed.
std::optional<std::string> decode_base64_text(std::string_view text, bool padded);

// The namespace a request names, by sqld's rules, in order: x-namespace-bin (base64
// without padding), x-namespace, the Host header's first label when it has a dot. An IP
// address is not a label (sqld would take "127" from 127.0.0.1): then, as without a Host,
// `default`. The Error is the 400 message.
struct NamespaceChoice {
  std::string name;
  std::optional<std::string> error;
};
NamespaceChoice choose_namespace(std::optional<std::string_view> namespace_bin,
                                 std::optional<std::string_view> namespace_header,
                                 std::optional<std::string_view> host);

// "Operation was blocked" with the admin's reason, as sqld words it.
hrana::Error blocked_error(const std::optional<std::string>& reason);

// The policy statements on `ns` are checked against for a caller with `rights`: a
// statement the classifier does not call read-only needs Write, any other Read
// (AccessDenied, sqld's 403 message, when missing); then the namespace's blocks, read at
// each check (BLOCKED). A caller with read and write on an unblocked namespace costs no
// classification.
std::shared_ptr<const hrana::AccessPolicy> namespace_access_policy(std::shared_ptr<Namespace> ns,
                                                                   Access rights);

class RequestGate {
 public:
  RequestGate(NamespaceStore& store, AuthStrategy auth, bool namespaces_enabled)
      : store_(store), auth_(std::move(auth)), namespaces_enabled_(namespaces_enabled) {}

  struct Admitted {
    std::shared_ptr<Namespace> ns;
    std::shared_ptr<const hrana::AccessPolicy> access;
    Access rights;
  };
  // An HTTP request: its namespace (`named` for paths that name one, /dev/<ns>/...), and
  // its credential's access there; or the response that refuses it.
  std::variant<Admitted, HttpResponse> admit(const HttpRequest& request,
                                             std::optional<std::string_view> named = {});
  // The namespace a request's headers choose ("default" without namespaces), or the 400
  // that refuses a malformed choice. Whether it exists is not looked at.
  std::variant<std::string, HttpResponse> namespace_name(const HttpRequest& request) const;
  // A WebSocket upgrade: the namespace only (the credential comes with the hello).
  std::variant<std::shared_ptr<Namespace>, HttpResponse> namespace_of(const HttpRequest& request);
  // A hello's jwt on a connection to `ns`: the access its requests get, or the
  // hello_error.
  std::variant<std::shared_ptr<const hrana::AccessPolicy>, hrana::Error> admit_hello(
      const std::shared_ptr<Namespace>& ns, const std::optional<std::string>& jwt) const;

  bool namespaces_enabled() const noexcept { return namespaces_enabled_; }

 private:
  NamespaceStore& store_;
  const AuthStrategy auth_;
  const bool namespaces_enabled_;
};

}  // namespace libsql::server
