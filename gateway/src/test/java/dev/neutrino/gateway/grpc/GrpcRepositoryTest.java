package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.ModelConfigRequest;
import dev.neutrino.gateway.grpc.proto.ModelReadyRequest;
import dev.neutrino.gateway.grpc.proto.ModelRepositoryParameter;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelLoadRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadRequest;
import dev.neutrino.repo.ModelControlMode;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository RPCs in explicit mode, with grpc-java as the client. */
class GrpcRepositoryTest {
  @Test
  void loadReloadWithConfigAndUnload(@TempDir Path dir) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    Gateway gateway = TestGateways.start(GatewayConfig.defaults().withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of(), 0, 0)));
    try (GrpcTestClient client = new GrpcTestClient(gateway)) {
      ModelReadyRequest ready = ModelReadyRequest.newBuilder().setName("simple").build();
      assertFalse(client.blocking.modelReady(ready).getReady());
      client.blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("simple").build());
      assertTrue(client.blocking.modelReady(ready).getReady());
      client.blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("simple")
          .putParameters("config", ModelRepositoryParameter.newBuilder()
              .setStringParam("{\"max_batch_size\": 4}").build())
          .build());
      assertEquals(4, client.blocking.modelConfig(ModelConfigRequest.newBuilder().setName("simple").build())
          .getConfig().getMaxBatchSize());
      var index = client.blocking.repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
      assertTrue(index.getModelsList().stream().anyMatch(m -> m.getName().equals("simple")
          && m.getState().equals("READY")), index.toString());
      client.blocking.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("simple").build());
      assertFalse(client.blocking.modelReady(ready).getReady());
      String traversal = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.repositoryModelLoad(
          RepositoryModelLoadRequest.newBuilder().setModelName("../simple").build()));
      assertFalse(traversal.contains(repo.toString()), traversal);
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void hostileOverrideIsRefusedNamingTheFieldAndTheLimit(@TempDir Path dir) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    GatewayConfig config = GatewayConfig.fromYaml("cpu_threads: 2\n", GatewayConfig.defaults().withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("simple"), 0, 0)));
    Gateway gateway = TestGateways.start(config);
    try (GrpcTestClient client = new GrpcTestClient(gateway)) {
      String refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.repositoryModelLoad(
          RepositoryModelLoadRequest.newBuilder().setModelName("simple")
              .putParameters("config", ModelRepositoryParameter.newBuilder().setStringParam(
                  "{\"instance_group\": [{\"count\": 64}], \"parameters\": {\"intra_op_thread_count\": \"16\"}}")
                  .build())
              .build()));
      assertTrue(refused.contains("instance_group count 64 is over the limit of 8 instances per model"), refused);
      assertTrue(client.blocking.modelReady(ModelReadyRequest.newBuilder().setName("simple").build()).getReady(),
          "the version that served before still serves");
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
