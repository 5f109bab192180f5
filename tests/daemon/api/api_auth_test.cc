// Access control of the query API through real channels (plaintext and TLS, certificates made
// by the openssl CLI at test time) to port-0 servers: which calls the bearer tokens, the bind
// and client certificates let through, what a refusal says, that each refusal is reported
// for predwatch_api_auth_failures_total, and that health needs no credentials.
#include "daemon/api/api_auth.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "daemon/api/grpc_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "predwatch/v1/monitor.grpc.pb.h"
#include "tests/support/test_pki.h"
#include "tests/support/traffic_env.h"

namespace predwatch::daemon {
namespace {

using grpc::StatusCode;
using testing::Pki;
using testing::TrafficEnv;

constexpr char kWrite[] = "write-token-0123456789abcdef";
constexpr char kRead[] = "read-token-0123456789abcdef";

// Refusals reported by a server: "rpc/reason" -> count.
struct Failures {
  std::mutex mu;
  std::map<std::string, int> count;
  int at(const std::string& key) {
    std::lock_guard lock(mu);
    return count[key];
  }
};

class ApiAuth : public ::testing::Test {
 protected:
  void start(GrpcServerOptions o, std::shared_ptr<grpc::ChannelCredentials> creds = nullptr,
             grpc::ChannelArguments args = {}) {
    o.on_auth_failure = [this](const std::string& rpc, const std::string& reason,
                               const std::string& peer) {
      EXPECT_TRUE(peer.starts_with("ipv4:127.0.0.1:")) << peer;
      std::lock_guard lock(failures_.mu);
      ++failures_.count[rpc + "/" + reason];
    };
    std::string error;
    server_ = GrpcServer::Start(*env_.engine, o, error);
    ASSERT_TRUE(server_) << error;
    server_->set_ready(true);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                         creds ? creds : grpc::InsecureChannelCredentials(), args);
    stub_ = v1::MonitorService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->shutdown(std::chrono::milliseconds(200));
  }

  static void with_token(grpc::ClientContext& ctx, const std::string& token) {
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  }
  grpc::Status list(const std::string& token = "") {
    grpc::ClientContext ctx;
    with_token(ctx, token);
    v1::ListStreamsResponse resp;
    return stub_->ListStreams(&ctx, {}, &resp);
  }
  // A mutating call that is harmless here: the snapshot of "cam"'s window, not installed.
  grpc::Status snapshot(const std::string& token = "") {
    grpc::ClientContext ctx;
    with_token(ctx, token);
    v1::SnapshotBaselineRequest req;
    req.set_stream("cam");
    v1::SnapshotBaselineResponse resp;
    return stub_->SnapshotBaseline(&ctx, req, &resp);
  }
  grpc::Status reset_unknown(const std::string& token = "") {
    grpc::ClientContext ctx;
    with_token(ctx, token);
    v1::ResetReferenceRequest req;
    req.set_stream("no-such-stream");
    v1::ResetReferenceResponse resp;
    return stub_->ResetReference(&ctx, req, &resp);
  }
  grpc::Status watch(const std::string& token = "") {
    grpc::ClientContext ctx;
    with_token(ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    v1::WatchAlertsRequest req;
    auto reader = stub_->WatchAlerts(&ctx, req);
    v1::WatchAlertsResponse t;
    while (reader->Read(&t)) {
    }
    return reader->Finish();
  }
  grpc::health::v1::HealthCheckResponse::ServingStatus health(const std::string& service) {
    auto h = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = h->Check(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  TrafficEnv env_;
  Failures failures_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitorService::Stub> stub_;
};

TEST(ApiAuthParts, LoopbackBinds) {
  EXPECT_TRUE(is_loopback_bind("127.0.0.1:50051"));
  EXPECT_TRUE(is_loopback_bind("127.1.2.3:0"));
  EXPECT_TRUE(is_loopback_bind("localhost:50051"));
  EXPECT_TRUE(is_loopback_bind("[::1]:50051"));
  EXPECT_FALSE(is_loopback_bind("0.0.0.0:50051"));
  EXPECT_FALSE(is_loopback_bind("[::]:50051"));
  EXPECT_FALSE(is_loopback_bind("10.0.0.1:50051"));
  EXPECT_FALSE(is_loopback_bind("127.0.0.1.example.com:50051"));
  EXPECT_FALSE(is_loopback_bind("127.evil:1"));
}

TEST(ApiAuthParts, TokensAndBearerHeaders) {
  EXPECT_TRUE(tokens_equal("abcdef", "abcdef"));
  EXPECT_FALSE(tokens_equal("abcdeg", "abcdef"));
  EXPECT_FALSE(tokens_equal("abcde", "abcdef"));
  EXPECT_FALSE(tokens_equal("abcdefg", "abcdef"));
  EXPECT_FALSE(tokens_equal("", "abcdef"));
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
}

TEST_F(ApiAuth, WithoutATokenOnLoopbackEverythingIsAllowed) {
  start({.bind = "127.0.0.1:0"});
  EXPECT_TRUE(list().ok());
  EXPECT_TRUE(snapshot().ok()) << snapshot().error_message();
}

TEST_F(ApiAuth, WithoutATokenBeyondLoopbackMutationsAreRefusedAndReadsAllowed) {
  start({.bind = "0.0.0.0:0"});
  EXPECT_TRUE(list().ok());
  const grpc::Status s = snapshot();
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("grpc.auth.token_file"), std::string::npos) << s.error_message();
  // Refused before the handler runs: an unknown stream is not even looked up.
  EXPECT_EQ(reset_unknown().error_code(), StatusCode::PERMISSION_DENIED);
  {
    grpc::ClientContext ctx;
    v1::RevertBaselineRequest req;
    req.set_stream("cam");
    v1::RevertBaselineResponse resp;
    EXPECT_EQ(stub_->RevertBaseline(&ctx, req, &resp).error_code(), StatusCode::PERMISSION_DENIED);
  }
  // A token does not help when none is configured.
  EXPECT_EQ(snapshot(kWrite).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(failures_.at("SnapshotBaseline/disabled"), 2);
  EXPECT_EQ(failures_.at("ResetReference/disabled"), 1);
  EXPECT_EQ(failures_.at("RevertBaseline/disabled"), 1);
  EXPECT_NE(server_->auth_description().find("DISABLED"), std::string::npos);
}

TEST_F(ApiAuth, AllowUnauthenticatedMutationsIsExplicit) {
  start({.bind = "0.0.0.0:0", .auth = {.allow_unauthenticated_writes = true}});
  EXPECT_TRUE(snapshot().ok());
  EXPECT_EQ(reset_unknown().error_code(), StatusCode::NOT_FOUND);  // the handler ran
}

TEST_F(ApiAuth, AWriteTokenGuardsMutationsOnlyEvenOnLoopback) {
  start({.bind = "127.0.0.1:0", .auth = {.write_token = kWrite}});
  EXPECT_TRUE(list().ok());
  EXPECT_TRUE(watch().error_code() == StatusCode::DEADLINE_EXCEEDED ||
              watch().error_code() == StatusCode::OK);

  grpc::Status s = snapshot();
  EXPECT_EQ(s.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("authorization: Bearer"), std::string::npos)
      << s.error_message();
  s = snapshot("wrong-token-0123456789abcdef");
  EXPECT_EQ(s.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message().find("wrong-token"), std::string::npos) << s.error_message();
  s = snapshot(std::string(kWrite) + "x");  // a longer token with the right prefix
  EXPECT_EQ(s.error_code(), StatusCode::UNAUTHENTICATED);
  {  // another scheme
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Basic ") + kWrite);
    v1::SnapshotBaselineRequest req;
    req.set_stream("cam");
    v1::SnapshotBaselineResponse resp;
    EXPECT_EQ(stub_->SnapshotBaseline(&ctx, req, &resp).error_code(), StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(failures_.at("SnapshotBaseline/missing"), 2);
  EXPECT_EQ(failures_.at("SnapshotBaseline/invalid"), 2);

  s = snapshot(kWrite);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reset_unknown(kWrite).error_code(), StatusCode::NOT_FOUND);  // the handler ran
}

TEST_F(ApiAuth, AReadTokenGuardsReadsAndCannotWrite) {
  start({.bind = "0.0.0.0:0", .auth = {.write_token = kWrite, .read_token = kRead}});
  EXPECT_EQ(list().error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(list("not-the-read-token-at-all").error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(watch().error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(list(kRead).ok());
  EXPECT_TRUE(list(kWrite).ok());  // the write token reads too
  const grpc::Status s = snapshot(kRead);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(snapshot(kWrite).ok());
  EXPECT_EQ(failures_.at("ListStreams/missing"), 1);
  EXPECT_EQ(failures_.at("ListStreams/invalid"), 1);
  EXPECT_EQ(failures_.at("WatchAlerts/missing"), 1);
  EXPECT_EQ(failures_.at("SnapshotBaseline/forbidden"), 1);
  // Probes need no credentials and see serving status only.
  EXPECT_EQ(health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(health("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);
}

// ---- TLS ----

TEST_F(ApiAuth, TlsRoundTripAndPlaintextClientsAreRejected) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.log();
  grpc::SslCredentialsOptions client;
  client.pem_root_certs = pki.pem("ca.pem");
  start({.bind = "127.0.0.1:0",
         .tls = GrpcServerOptions::Tls{pki.pem("server.pem"), pki.pem("server.key"), ""},
         .auth = {.write_token = kWrite}},
        grpc::SslCredentials(client));
  EXPECT_TRUE(list().ok()) << list().error_message();
  EXPECT_EQ(snapshot().error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(snapshot(kWrite).ok());

  const std::string addr = "127.0.0.1:" + std::to_string(server_->port());
  auto plain =
      v1::MonitorService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::ListStreamsResponse resp;
  EXPECT_FALSE(plain->ListStreams(&ctx, {}, &resp).ok());

  grpc::SslCredentialsOptions wrong_ca;
  wrong_ca.pem_root_certs = pki.pem("other.pem");
  auto untrusted =
      v1::MonitorService::NewStub(grpc::CreateChannel(addr, grpc::SslCredentials(wrong_ca)));
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(untrusted->ListStreams(&ctx2, {}, &resp).ok());
}

// Kubernetes gRPC probes cannot speak TLS: the health-only listener answers them in
// plaintext, with the API's statuses, and serves nothing else.
TEST_F(ApiAuth, APlaintextHealthListenerServesHealthOnly) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.log();
  grpc::SslCredentialsOptions client;
  client.pem_root_certs = pki.pem("ca.pem");
  start({.bind = "127.0.0.1:0",
         .tls = GrpcServerOptions::Tls{pki.pem("server.pem"), pki.pem("server.key"), ""},
         .auth = {.write_token = kWrite, .read_token = kRead},
         .health_bind = "127.0.0.1:0"},
        grpc::SslCredentials(client));
  ASSERT_NE(server_->health_port(), 0);
  ASSERT_NE(server_->health_port(), server_->port());
  auto plain = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->health_port()),
                                   grpc::InsecureChannelCredentials());
  auto check = [&](const std::string& service) {
    auto h = grpc::health::v1::Health::NewStub(plain);
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = h->Check(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  };
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(check("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);
  server_->set_ready(false);
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("predwatch.v1.MonitorService"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(check("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);

  // The API is not there, with or without a token.
  auto api = v1::MonitorService::NewStub(plain);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kWrite);
  v1::ListStreamsResponse resp;
  EXPECT_EQ(api->ListStreams(&ctx, {}, &resp).error_code(), StatusCode::UNIMPLEMENTED);
}

TEST_F(ApiAuth, MutualTlsNeedsAClientCertificateAndThenAllowsMutationsWithoutAToken) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.log();
  grpc::SslCredentialsOptions client;
  client.pem_root_certs = pki.pem("ca.pem");
  client.pem_cert_chain = pki.pem("client.pem");
  client.pem_private_key = pki.pem("client.key");
  // Beyond loopback, no token: the verified client certificate is the credential.
  start({.bind = "0.0.0.0:0",
         .tls = GrpcServerOptions::Tls{pki.pem("server.pem"), pki.pem("server.key"),
                                       pki.pem("ca.pem")}},
        grpc::SslCredentials(client));
  EXPECT_TRUE(list().ok()) << list().error_message();
  EXPECT_TRUE(snapshot().ok()) << snapshot().error_message();

  const std::string addr = "127.0.0.1:" + std::to_string(server_->port());
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = pki.pem("ca.pem");
  auto anonymous =
      v1::MonitorService::NewStub(grpc::CreateChannel(addr, grpc::SslCredentials(no_cert)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::ListStreamsResponse resp;
  EXPECT_FALSE(anonymous->ListStreams(&ctx, {}, &resp).ok());
}

}  // namespace
}  // namespace predwatch::daemon
