package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.repo.ConfigCompletion;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.repo.RepositoryOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code neutrino tritonserver}: Triton's flags, as Triton's documentation writes them, read with Triton's meaning. */
class TritonCommandLineTest {
  private static GatewayConfig triton(String... args) throws Exception {
    return GatewayConfig.fromArgs(TritonCommandLine.translate(args).toArray(String[]::new));
  }

  @Test
  void aTritonStartCommandConfiguresTheGateway() throws Exception {
    GatewayConfig config = triton("--model-repository=/models", "--http-port=9000", "--grpc-port", "9001",
        "--metrics-port=9002", "--http-address=0.0.0.0", "--grpc-address=0.0.0.0", "--model-control-mode=explicit",
        "--load-model=simple", "--load-model", "text_encoder", "--repository-poll-secs=30",
        "--exit-timeout-secs=10", "--strict-readiness=true", "--allow-http=true", "--allow-grpc", "true",
        "--backend-config=onnxruntime,default-max-batch-size=16", "--model-load-thread-count=3",
        "--cache-config", "local,size=1048576", "--log-verbose=1");
    assertEquals(Path.of("/models"), config.modelRepository());
    assertEquals(9000, config.httpPort());
    assertEquals(9001, config.grpcPort());
    assertEquals(9002, config.telemetry().metricsPort());
    assertEquals("0.0.0.0", config.host());
    assertEquals(ModelControlMode.EXPLICIT, config.repository().controlMode());
    assertEquals(List.of("simple", "text_encoder"), config.repository().loadModels());
    assertEquals(30, config.repository().pollSeconds());
    assertEquals(10, config.shutdown().exitTimeoutSeconds());
    assertEquals(1048576, config.repository().responseCacheBytes());
    assertEquals("debug", config.telemetry().logLevel());
    RepositoryOptions options = config.repositoryOptions(4);
    assertEquals(new ConfigCompletion(true, 16), options.completion());
    assertEquals(3, options.loaderThreads());
  }

  @Test
  void modelStoreStrictModelConfigAndOtherSpellings() throws Exception {
    GatewayConfig config = triton("--model-store=/store", "--strict-model-config=true", "--allow-metrics=false",
        "--response-cache-byte-size=4096", "--log-info=false", "--backend-config=default-max-batch-size=0");
    assertEquals(Path.of("/store"), config.modelRepository());
    assertFalse(config.repositoryOptions(2).completion().enabled());
    assertEquals(0, config.repositoryOptions(2).completion().defaultMaxBatchSize());
    assertEquals(-1, config.telemetry().metricsPort());
    assertEquals(4096, config.repository().responseCacheBytes());
    assertEquals("warn", config.telemetry().logLevel());
    assertTrue(triton("--disable-auto-complete-config").repositoryOptions(2).completion().enabled() == false);
    assertTrue(triton("--strict-model-config=false").repositoryOptions(2).completion().enabled());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--pinned-memory-pool-byte-size=268435456|tritonserver flag --pinned-memory-pool-byte-size is not supported",
      "--cuda-memory-pool-byte-size=0:268435456|tritonserver flag --cuda-memory-pool-byte-size is not supported",
      "--allow-http=false|--allow-http=false is not supported: Neutrino always serves HTTP and gRPC",
      "--backend-config=tensorflow,version=2|--backend-config for backend 'tensorflow' is not supported: Neutrino "
          + "serves the onnxruntime backend",
      "--backend-config=onnxruntime,enable-global-threadpool=1|--backend-config setting 'enable-global-threadpool' "
          + "is not supported (only default-max-batch-size is)",
      "--cache-config=redis,host=localhost|--cache-config cache 'redis' is not supported (only local is)",
      "--http-port=eighty|--http-port must be a whole number, got 'eighty'",
  })
  void refusesWhatItDoesNotHonourNamingTheFlag(String arg, String message) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, () -> triton(arg)).getMessage());
  }

  @Test
  void servesEveryRepositoryGivenInOrder() throws Exception {
    GatewayConfig config = triton("--model-repository=/a", "--model-store=/b", "--model-repository", "/c,d");
    assertEquals(List.of(Path.of("/a"), Path.of("/b"), Path.of("/c,d")), config.modelRepositories());
  }

  @Test
  void refusesDifferentAddresses() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> triton("--http-address=127.0.0.1",
        "--grpc-address=0.0.0.0")).getMessage().startsWith("different --http-address"));
  }

  @Test
  void theTritonserverEntryExitsWithTwoNamingTheRefusedFlag() throws Exception {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.serve(new String[] {"tritonserver", "--model-repository=/models", "--pinned-memory-pool-byte-size=0"},
          config -> {
            throw new AssertionError("no gateway is made for a refused command line");
          });
    } finally {
      System.setErr(err);
    }
    assertEquals(2, code);
    assertTrue(captured.toString(java.nio.charset.StandardCharsets.UTF_8).contains(
        "neutrino tritonserver: tritonserver flag --pinned-memory-pool-byte-size is not supported"), captured.toString());
  }

  @Test
  void theServeFlagsOfTheSameSettingsExist() throws Exception {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--default-max-batch-size", "8",
        "--disable-auto-complete-config", "--model-load-thread-count", "1"});
    assertEquals(new ConfigCompletion(false, 8), config.repositoryOptions(2).completion());
    assertEquals(1, config.repositoryOptions(2).loaderThreads());
  }
}
