package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static dev.neutrino.gateway.grpc.GrpcTestClient.simpleRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.CapturedLog;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.gateway.security.AccessSettings;
import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.gateway.security.Restriction;
import dev.neutrino.gateway.security.RepositoryAudit;
import dev.neutrino.repo.ModelControlMode;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Access control over gRPC, end to end, with grpc-java stubs sending (or not) Triton's metadata key. */
class GrpcAccessTest {
  @TempDir Path dir;

  private Gateway start(AccessSettings access) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    return TestGateways.start(GatewayConfig.defaults().withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("simple"), 0, 0))
        .withAccess(access));
  }

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub with(GrpcTestClient client, String key,
      String value) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
    return client.blocking.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void everyMethodOfTheServiceBelongsToAGroup() {
    for (MethodDescriptor<?, ?> method : GRPCInferenceServiceGrpc.getServiceDescriptor().getMethods()) {
      assertNotNull(GrpcAccess.group("/" + method.getFullMethodName()), method.getFullMethodName());
    }
    assertEquals(ApiGroup.INFERENCE, GrpcAccess.group(InferenceService.path("ModelStreamInfer")));
    assertEquals(ApiGroup.MODEL_REPOSITORY, GrpcAccess.group(InferenceService.path("RepositoryModelLoad")));
    assertEquals(ApiGroup.HEALTH, GrpcAccess.group(InferenceService.path("ModelReady")));
  }

  @Test
  void statusMessagesArePercentEncodedAsGrpcSays() {
    assertEquals("a%25b %C3%A9%0A'ok'", GrpcAccess.percentEncode("a%b \u00e9\n'ok'"));
  }

  @Test
  void restrictedProtocolsNeedTritonsMetadataKey() throws Exception {
    Gateway gateway = start(new AccessSettings(List.of(),
        List.of(Restriction.parse("inference,model-repository:admin=abc", "--grpc-restricted-protocol")),
        List.of(), null));
    CapturedLog audit = CapturedLog.of(RepositoryAudit.LOGGER_NAME);
    try (GrpcTestClient client = new GrpcTestClient(gateway)) {
      assertTrue(client.blocking.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), "health is open");
      ModelInferRequest request = simpleRequest(0).build();
      String missing = assertStatus(Status.Code.UNAUTHENTICATED, () -> client.blocking.modelInfer(request));
      assertTrue(missing.contains("'triton-grpc-protocol-admin'"), missing);
      assertStatus(Status.Code.UNAUTHENTICATED, () -> with(client, "admin", "abc").modelInfer(request));
      String wrong = assertStatus(Status.Code.PERMISSION_DENIED,
          () -> with(client, "triton-grpc-protocol-admin", "abd").modelInfer(request));
      assertFalse(wrong.contains("abc") || wrong.contains("abd"), wrong);
      assertEquals(2, with(client, "triton-grpc-protocol-admin", "abc").modelInfer(request).getOutputsCount());

      CompletableFuture<Throwable> streamed = new CompletableFuture<>();
      StreamObserver<ModelInferRequest> stream = client.async.modelStreamInfer(new StreamObserver<>() {
        @Override
        public void onNext(ModelStreamInferResponse value) {
          streamed.completeExceptionally(new AssertionError("answered: " + value));
        }

        @Override
        public void onError(Throwable t) {
          streamed.complete(t);
        }

        @Override
        public void onCompleted() {
          streamed.completeExceptionally(new AssertionError("completed without a status"));
        }
      });
      stream.onNext(request);
      Throwable streamError = streamed.get(30, TimeUnit.SECONDS);
      assertEquals(Status.Code.UNAUTHENTICATED, ((StatusRuntimeException) streamError).getStatus().getCode());

      assertStatus(Status.Code.UNAUTHENTICATED, () -> client.blocking.repositoryModelUnload(
          RepositoryModelUnloadRequest.newBuilder().setModelName("simple").build()));
      with(client, "triton-grpc-protocol-admin", "abc").repositoryModelUnload(
          RepositoryModelUnloadRequest.newBuilder().setModelName("simple").build());
      List<String> lines = audit.messages();
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).matches("repository unload of model 'simple' by 127\\.0\\.0\\.1:\\d+ over grpc: ok in .*"),
          lines.get(0));
      assertEquals(4, gatewayRefusals(gateway, ApiGroup.INFERENCE));
      assertEquals(1, gatewayRefusals(gateway, ApiGroup.MODEL_REPOSITORY));
    } finally {
      TestGateways.stop(gateway);
      audit.close();
    }
  }

  /** {@code neutrino_access_refused_total} for gRPC and {@code group}, read from the gateway's registry. */
  private static long gatewayRefusals(Gateway gateway, ApiGroup group) {
    Double value = gateway.metrics().registry().getSampleValue("neutrino_access_refused_total",
        new String[] {"protocol", "group"}, new String[] {"grpc", group.label()});
    return value == null ? 0 : value.longValue();
  }

  @Test
  void theRepositoryRefusesBrowserOriginsAndServesLoopbackByDefault() {
    Gateway gateway = start(AccessSettings.DEFAULTS);
    try (GrpcTestClient client = new GrpcTestClient(gateway)) {
      assertTrue(client.blocking.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsCount() > 0);
      String refused = assertStatus(Status.Code.PERMISSION_DENIED,
          () -> with(client, "origin", "http://evil.example").repositoryIndex(RepositoryIndexRequest.getDefaultInstance()));
      assertTrue(refused.contains("--repository-allowed-origins"), refused);
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
