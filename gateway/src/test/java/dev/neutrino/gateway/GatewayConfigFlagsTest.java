package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.repo.ModelControlMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flags are the configuration file's keys spelt with dashes, laid over the file. */
class GatewayConfigFlagsTest {
  @Test
  void repositoryFlagsAndRepeatedLoadModel() throws Exception {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {
        "--model-control-mode", "explicit", "--load-model", "a", "--load-model=b,c",
        "--repository-poll-secs", "3", "--model-memory-budget", "1000", "--response-cache-bytes", "2000"});
    assertEquals(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 3, List.of("a", "b", "c"), 1000, 2000),
        config.repository());
  }

  @Test
  void modelRepositoryIsRepeatableAsAFlagAndAListInTheFile(@TempDir Path dir) throws Exception {
    assertEquals(List.of(Path.of("/a"), Path.of("/b,c")), GatewayConfig.fromArgs(new String[] {
        "--model-repository", "/a", "--model-repository=/b,c"}).modelRepositories());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "model_repository: [/x, /y]\n");
    GatewayConfig listed = GatewayConfig.fromArgs(new String[] {"--config", file.toString()});
    assertEquals(List.of(Path.of("/x"), Path.of("/y")), listed.modelRepositories());
    assertEquals(List.of("/x", "/y"), listed.describe().get("model_repository"));
    Files.writeString(file, "model_repository: /one\n");
    GatewayConfig single = GatewayConfig.fromArgs(new String[] {"--config", file.toString()});
    assertEquals(List.of(Path.of("/one")), single.modelRepositories());
    assertEquals("/one", single.describe().get("model_repository"));
  }

  @Test
  void modelCacheDirDefaultsUnderTheTemporaryDirectoryAndEmptyTurnsItOff(@TempDir Path dir) throws Exception {
    assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "neutrino-ort-cache"),
        GatewayConfig.fromArgs(new String[] {}).repository().modelCacheDir());
    assertEquals(dir.resolve("graphs"),
        GatewayConfig.fromArgs(new String[] {"--model-cache-dir", dir.resolve("graphs").toString()})
            .repository().modelCacheDir());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "model_cache_dir: \"\"\n");
    assertEquals(null, GatewayConfig.fromArgs(new String[] {"--config", file.toString()}).repository().modelCacheDir());
  }

  @Test
  void flagsOverrideTheFileKeyByKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "http_port: 9000\ngrpc_port: 9001\nlog_level: warn\nload_model: [x]\n"
        + "model_control_mode: explicit\n");
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--config", file.toString(), "--http-port", "9100"});
    assertEquals(9100, config.httpPort());
    assertEquals(9001, config.grpcPort());
    assertEquals("warn", config.telemetry().logLevel());
    assertEquals(List.of("x"), config.repository().loadModels());
  }

  @Test
  void badValuesNameTheFlagOrKey(@TempDir Path dir) throws Exception {
    String flag = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--cpu-threads", "many"})).getMessage();
    assertTrue(flag.contains("--cpu-threads") && flag.contains("many"), flag);
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "cpu_threads: many\n");
    String key = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--config", file.toString()})).getMessage();
    assertTrue(key.contains("cpu_threads"), key);
    String mode = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--model-control-mode", "sometimes"})).getMessage();
    assertTrue(mode.contains("sometimes"), mode);
  }

  @Test
  void requestPathWarmupIsOffByDefaultAndBoundedInSeconds() throws Exception {
    assertEquals(0, GatewayConfig.fromArgs(new String[] {}).requestPathWarmupSecs());
    assertEquals(30, GatewayConfig.fromArgs(new String[] {"--request-path-warmup-secs", "30"}).requestPathWarmupSecs());
    String tooLong = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--request-path-warmup-secs", "601"})).getMessage();
    assertTrue(tooLong.contains("request_path_warmup_secs") && tooLong.contains("601"), tooLong);
  }

  @Test
  void modelThreadsRunAtNiceTenByDefaultWithinTheKernelsRange(@TempDir Path dir) throws Exception {
    assertEquals(10, GatewayConfig.fromArgs(new String[] {}).repository().computeNice());
    assertEquals(10, GatewayConfig.fromArgs(new String[] {}).repository().options(2).computeNice());
    assertEquals(0, GatewayConfig.fromArgs(new String[] {"--compute-nice", "0"}).repository().computeNice());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "compute_nice: 4\n");
    assertEquals(4, GatewayConfig.fromArgs(new String[] {"--config", file.toString()}).repository().computeNice());
    for (String bad : new String[] {"20", "-1"}) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> GatewayConfig.fromArgs(new String[] {"--compute-nice", bad})).getMessage();
      assertTrue(message.contains("compute_nice") && message.contains(bad) && message.contains("between 0 and 19"),
          message);
    }
  }
}
