package dev.neutrino.gateway.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/embeddings} end to end: a real gateway serving the example text_encoder (and a
 * copy of it configured as Matryoshka-capable), called by OpenAI's official Java client, and by the
 * JDK's HttpClient for the raw JSON and the tensor API. Reference token ids come from DJL's
 * tokenizer reading the same tokenizer.json directly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class OpenAiEmbeddingsTest {
  private static final String MODEL = "text_encoder";
  private static final String MATRYOSHKA = "text_encoder_mrl";
  private static final int WIDTH = 384;
  private static final int LENGTH = 128;
  /** Rows batched differently may take different kernels; another row's embedding is far off. */
  private static final double TOLERANCE = 1e-5;

  private final GatedBackend backend = new GatedBackend(OnnxRuntimeBackend.create());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Gateway gateway;
  private OpenAIClient openAi;
  private HuggingFaceTokenizer reference;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    Path repository = TestGateways.exampleRepository(dir.resolve("repo"));
    // The example text_encoder batches up to 4 requests on two instances; here one instance batches up
    // to 32, so that requests of several clients are seen to batch together.
    Path encoder = repository.resolve(MODEL).resolve("config.yaml");
    Files.writeString(encoder, Files.readString(encoder).replace("preferred_batch_size: [4]", "preferred_batch_size: [8, 16, 32]")
        .replace("count: 2", "count: 1"));
    copyModel(repository.resolve(MODEL), repository.resolve(MATRYOSHKA));
    Path config = repository.resolve(MATRYOSHKA).resolve("config.yaml");
    Files.writeString(config, Files.readString(config) + "  embedding_matryoshka: true\n");
    gateway = TestGateways.start(GatewayConfig.defaults().withModelRepository(repository), backend);
    openAi = OpenAIOkHttpClient.builder()
        .baseUrl("http://" + gateway.host() + ":" + gateway.httpPort() + "/v1")
        .apiKey("not-checked")
        .maxRetries(0)
        .timeout(Duration.ofSeconds(60))
        .build();
    reference = HuggingFaceTokenizer.newInstance(repository.resolve(MODEL).resolve("tokenizer.json"),
        Map.of("truncation", "true", "maxLength", Integer.toString(LENGTH), "padding", "false"));
  }

  @AfterAll
  void stop() {
    if (openAi != null) {
      openAi.close();
    }
    TestGateways.stop(gateway);
    if (reference != null) {
      reference.close();
    }
  }

  private static void copyModel(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path source : files.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private CreateEmbeddingResponse embed(EmbeddingCreateParams.Builder params) {
    return openAi.embeddings().create(params.build());
  }

  private static EmbeddingCreateParams.Builder params(String model) {
    return EmbeddingCreateParams.builder().model(model).encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT);
  }

  private static float[] floats(Embedding embedding) {
    List<Float> values = embedding.embedding();
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** The text_encoder's output for {@code ids} (padded with 0) through the tensor API, made unit length. */
  private float[] tensorApi(long[] ids) {
    long[] padded = new long[LENGTH];
    System.arraycopy(ids, 0, padded, 0, ids.length);
    String body = "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1," + LENGTH + "],\"datatype\":\"INT64\",\"data\":"
        + LongStream.of(padded).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]")) + "}]}";
    OpenAiModelsTest.Reply reply = OpenAiModelsTest.send(http, gateway, "POST", "/v2/models/" + MODEL + "/infer", body,
        "Content-Type", "application/json");
    assertEquals(200, reply.status(), reply.json().toString());
    JsonNode data = reply.json().get("outputs").get(0).get("data");
    float[] vector = new float[data.size()];
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) data.get(i).asDouble();
    }
    return unit(vector);
  }

  private static float[] unit(float[] vector) {
    double sum = 0;
    for (float v : vector) {
      sum += (double) v * v;
    }
    float[] out = vector.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (out[i] / Math.sqrt(sum));
    }
    return out;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], TOLERANCE, what + " [" + i + "]");
    }
  }

  @Test
  void embedsOneTextAsTheTensorApiDoesForItsTokenIds() {
    String text = "Hello world, Neutrino serves text!";
    long[] ids = reference.encode(text).getIds();
    CreateEmbeddingResponse response = embed(params(MODEL).input(text));
    assertEquals(MODEL, response.model());
    assertEquals(1, response.data().size());
    assertEquals(0, response.data().get(0).index());
    float[] embedding = floats(response.data().get(0));
    assertEquals(WIDTH, embedding.length);
    assertClose(tensorApi(ids), embedding, "text vs tensor API");
    assertEquals(ids.length, response.usage().promptTokens());
    assertEquals(ids.length, response.usage().totalTokens());
  }

  @Test
  void embedsAListInOrderEachAsItWouldBeAlone() {
    String longText = "the search query ".repeat(100); // 300 words: truncated to the model's 128 tokens
    List<String> texts = List.of("a cat", "the quick brown fox jumps over the lazy dog", longText, "a cat");
    CreateEmbeddingResponse response = embed(params(MODEL).inputOfArrayOfStrings(texts));
    assertEquals(texts.size(), response.data().size());
    long tokens = 0;
    for (int i = 0; i < texts.size(); i++) {
      Embedding embedding = response.data().get(i);
      assertEquals(i, embedding.index());
      long[] ids = reference.encode(texts.get(i)).getIds();
      tokens += ids.length;
      assertClose(tensorApi(ids), floats(embedding), "input " + i);
    }
    assertEquals(LENGTH, reference.encode(longText).getIds().length, "the reference truncates too");
    assertEquals(tokens, response.usage().promptTokens());
    assertArrayEquals(floats(response.data().get(0)), floats(response.data().get(3)), "same text, same vector");
  }

  @Test
  void listsLongerThanMaxBatchSizeAreSplitAndAnsweredWhole() {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 70; i++) { // max_batch_size is 32: three inference calls
      texts.add("document number " + i);
    }
    CreateEmbeddingResponse response = embed(params(MODEL).inputOfArrayOfStrings(texts));
    assertEquals(70, response.data().size());
    for (int i : new int[] {0, 31, 32, 69}) {
      assertClose(tensorApi(reference.encode(texts.get(i)).getIds()), floats(response.data().get(i)), "input " + i);
    }
  }

  @Test
  void base64CarriesTheSameFloatsLittleEndian() {
    String text = "base64 please";
    float[] asFloats = floats(embed(params(MODEL).input(text)).data().get(0));
    Embedding encoded = embed(EmbeddingCreateParams.builder().model(MODEL).input(text)
        .encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64)).data().get(0);
    assertTrue(encoded.embeddingValue().isBase64(), "the answer carried a base64 string");
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.embeddingValue().asBase64()))
        .order(ByteOrder.LITTLE_ENDIAN);
    float[] decoded = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(decoded);
    assertArrayEquals(asFloats, decoded);
    assertArrayEquals(asFloats, floats(encoded), "the client's own decoding agrees");
  }

  @Test
  void tokenIdsEmbedLikeTheTextTheyCameFrom() {
    String text = "token ids in, vectors out";
    long[] ids = reference.encode(text).getIds();
    List<Long> list = LongStream.of(ids).boxed().toList();
    float[] fromText = floats(embed(params(MODEL).input(text)).data().get(0));
    assertClose(fromText, floats(embed(params(MODEL).inputOfArrayOfTokens(list)).data().get(0)), "token list");
    CreateEmbeddingResponse lists = embed(params(MODEL).inputOfArrayOfTokenArrays(List.of(list, List.of(2L, 3L))));
    assertClose(fromText, floats(lists.data().get(0)), "token lists");
    assertEquals(ids.length + 2, lists.usage().promptTokens());
  }

  @Test
  void matryoshkaModelsTruncateAndRenormalise() {
    String text = "shorter vectors";
    float[] full = floats(embed(params(MATRYOSHKA).input(text)).data().get(0));
    float[] short64 = floats(embed(params(MATRYOSHKA).input(text).dimensions(64)).data().get(0));
    assertEquals(64, short64.length);
    assertClose(unit(java.util.Arrays.copyOf(full, 64)), short64, "prefix renormalised");
    BadRequestException refused = assertThrows(BadRequestException.class,
        () -> embed(params(MODEL).input(text).dimensions(64)));
    assertTrue(refused.getMessage().contains("dimensions"), refused.getMessage());
    assertThrows(BadRequestException.class, () -> embed(params(MATRYOSHKA).input(text).dimensions(WIDTH + 1)));
  }

  @Test
  void errorsReachTheClientInOpenAisShape() {
    NotFoundException unknown = assertThrows(NotFoundException.class, () -> embed(params("no_such_model").input("x")));
    assertEquals(404, unknown.statusCode());
    assertEquals("model_not_found", unknown.code().orElseThrow());
    assertThrows(NotFoundException.class, () -> embed(params("simple").input("x")), "simple serves no text");
    BadRequestException empty = assertThrows(BadRequestException.class, () -> embed(params(MODEL).input("")));
    assertEquals("invalid_request_error", empty.type().orElseThrow());
    assertThrows(BadRequestException.class, () -> embed(params(MODEL).inputOfArrayOfTokens(List.of(2L, 9000L, 3L))),
        "a token id outside the vocabulary of 8192");
    Model model = openAi.models().retrieve(MODEL);
    assertEquals(MODEL, model.id());
  }

  @Test
  void rawJsonHasOpenAisShapes() {
    OpenAiModelsTest.Reply reply = OpenAiModelsTest.send(http, gateway, "POST", "/v1/embeddings",
        "{\"model\":\"text_encoder\",\"input\":[\"one\",\"two\"],\"user\":\"someone\",\"unknown_field\":1}",
        "Content-Type", "application/json");
    assertEquals(200, reply.status(), reply.json().toString());
    JsonNode json = reply.json();
    assertEquals("list", json.get("object").asText());
    assertEquals(MODEL, json.get("model").asText());
    assertEquals(2, json.get("data").size());
    for (int i = 0; i < 2; i++) {
      JsonNode entry = json.get("data").get(i);
      assertEquals("embedding", entry.get("object").asText());
      assertEquals(i, entry.get("index").asInt());
      assertEquals(WIDTH, entry.get("embedding").size());
    }
    assertEquals(6, json.get("usage").get("prompt_tokens").asInt(), "[CLS] one [SEP], [CLS] two [SEP]");
    assertEquals(6, json.get("usage").get("total_tokens").asInt());

    for (String bad : List.of("not json", "[1]", "{\"input\":\"x\"}", "{\"model\":\"text_encoder\"}",
        "{\"model\":\"text_encoder\",\"input\":[]}", "{\"model\":\"text_encoder\",\"input\":[\"a\",2]}",
        "{\"model\":\"text_encoder\",\"input\":[[1],\"a\"]}", "{\"model\":\"text_encoder\",\"input\":[-1]}",
        "{\"model\":\"text_encoder\",\"input\":\"x\",\"encoding_format\":\"hex\"}",
        "{\"model\":\"text_encoder\",\"input\":\"x\",\"dimensions\":0}")) {
      OpenAiModelsTest.Reply refused = OpenAiModelsTest.send(http, gateway, "POST", "/v1/embeddings", bad,
          "Content-Type", "application/json");
      OpenAiModelsTest.assertOpenAiError(refused, 400, "invalid_request_error");
    }
    OpenAiModelsTest.assertOpenAiError(OpenAiModelsTest.send(http, gateway, "GET", "/v1/embeddings", null), 405,
        "invalid_request_error");
    String scrape = gateway.metrics().scrape("").body();
    assertTrue(scrape.contains("neutrino_input_tokens_total{model=\"text_encoder\",version=\"1\",}")
        || scrape.contains("neutrino_input_tokens_total{model=\"text_encoder\",version=\"1\"}"), "tokens counted");
  }

  /**
   * Nine clients at once: the first holds the model's one instance while the other eight queue, and
   * those eight then run as one batch.
   */
  @Test
  void concurrentClientsBatchTogether() throws Exception {
    List<String> texts = new ArrayList<>();
    List<float[]> alone = new ArrayList<>();
    for (int c = 0; c < 9; c++) {
      texts.add("client " + c + " asks");
      alone.add(tensorApi(reference.encode(texts.get(c)).getIds()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try {
      CountDownLatch running = backend.hold(MODEL);
      List<Future<float[]>> answers = new ArrayList<>();
      answers.add(pool.submit(() -> floats(embed(params(MODEL).input(texts.get(0))).data().get(0))));
      assertTrue(running.await(60, TimeUnit.SECONDS), "the first request runs");
      for (int c = 1; c < 9; c++) {
        String text = texts.get(c);
        answers.add(pool.submit(() -> floats(embed(params(MODEL).input(text)).data().get(0))));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (gateway.repository().find(MODEL, null).schedulerStats().queueDepth() < 8) {
        assertTrue(System.nanoTime() < until, "eight requests queue behind the first");
        Thread.sleep(5);
      }
      int before = backend.runs(MODEL).size(); // the held first run included
      backend.release();
      for (int c = 0; c < 9; c++) {
        assertClose(alone.get(c), answers.get(c).get(60, TimeUnit.SECONDS), "client " + c);
      }
      List<Integer> runs = backend.runs(MODEL);
      assertEquals(List.of(8), runs.subList(before, runs.size()), "the eight queued requests ran as one batch");
    } finally {
      backend.release();
      pool.shutdownNow();
    }
  }

  /** ONNX Runtime, recording each run's rows, and able to hold a model's next run until released. */
  private static final class GatedBackend implements Backend {
    private final Backend delegate;
    private final Map<String, ConcurrentLinkedQueue<Integer>> runs = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile String held;
    private volatile CountDownLatch running = new CountDownLatch(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    GatedBackend(Backend delegate) {
      this.delegate = delegate;
    }

    /** The next run of {@code model} waits for {@link #release()}; the latch opens when it has begun. */
    synchronized CountDownLatch hold(String model) {
      gate = new CountDownLatch(1);
      running = new CountDownLatch(1);
      held = model;
      return running;
    }

    synchronized void release() {
      held = null;
      gate.countDown();
    }

    List<Integer> runs(String model) {
      return new ArrayList<>(runs.getOrDefault(model, new ConcurrentLinkedQueue<>()));
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public String platform() {
      return delegate.platform();
    }

    @Override
    public String defaultModelFileName() {
      return delegate.defaultModelFileName();
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      LoadedModel model = delegate.load(modelFile, options);
      String name = modelFile.getParent().getParent().getFileName().toString();
      ConcurrentLinkedQueue<Integer> record = runs.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>());
      return new LoadedModel() {
        @Override
        public List<TensorSpec> inputs() {
          return model.inputs();
        }

        @Override
        public List<TensorSpec> outputs() {
          return model.outputs();
        }

        @Override
        public String device() {
          return model.device();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          record.add((int) inputs.values().iterator().next().dim(0));
          CountDownLatch wait = null;
          synchronized (GatedBackend.this) {
            if (name.equals(held)) {
              held = null;
              wait = gate;
              running.countDown();
            }
          }
          if (wait != null) {
            try {
              wait.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return model.run(inputs, outputs);
        }

        @Override
        public void close() {
          model.close();
        }
      };
    }
  }
}
