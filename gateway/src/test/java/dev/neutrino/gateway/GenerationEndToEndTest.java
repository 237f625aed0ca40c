package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation through the real gateway serving the example model {@code tiny_lm}: Triton's generate
 * extension and OpenAI's completions as raw JSON and server-sent events from the JDK's client and
 * raw sockets, checked against greedy decoding of the same model in-process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "tiny_lm";
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Gateway gateway;
  private GreedyReference reference;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path repository = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(repository);
    reference = new GreedyReference(repository);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
    if (reference != null) {
      reference.close();
    }
  }

  private HttpRequest post(String path, String body) {
    return HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private JsonNode postJson(String path, String body, int expectedStatus) throws Exception {
    HttpResponse<String> response = client.send(post(path, body), HttpResponse.BodyHandlers.ofString());
    assertEquals(expectedStatus, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  @Test
  void generateAnswersTheGreedyDecodeOfTheModel() throws Exception {
    JsonNode answer = postJson("/v2/models/tiny_lm/generate",
        "{\"text_input\": \"The capital of France is\", \"parameters\": {\"max_tokens\": 24, \"temperature\": 0}}", 200);
    assertEquals(MODEL, answer.get("model_name").asText());
    assertEquals("1", answer.get("model_version").asText());
    assertEquals(reference.complete("The capital of France is", 24), answer.get("text_output").asText());
  }

  @Test
  void generateStreamSendsThePiecesAsServerSentEvents() throws Exception {
    HttpResponse<java.util.stream.Stream<String>> response = client.send(post("/v2/models/tiny_lm/generate_stream",
        "{\"text_input\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0}"),
        HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<JsonNode> events = new ArrayList<>();
    response.body().forEach(line -> {
      if (line.startsWith("data: ")) {
        events.add(read(line.substring(6)));
      } else {
        assertEquals("", line);
      }
    });
    assertTrue(events.size() > 2, "events: " + events);
    StringBuilder text = new StringBuilder();
    for (JsonNode event : events) {
      text.append(event.get("text_output").asText());
    }
    assertEquals("length", events.get(events.size() - 1).get("finish_reason").asText());
    assertEquals(reference.complete("Once upon a time", 30), text.toString());
  }

  @Test
  void sequencesJoiningAtDifferentStepsEachGetTheirOwnGreedyAnswer() throws Exception {
    String[] prompts = {"first in", "second, a little later", "third", "a fourth and last one"};
    int[] maxTokens = {60, 45, 30, 20};
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < prompts.length; i++) {
      CountDownLatch started = new CountDownLatch(1);
      CompletableFuture<String> answer = new CompletableFuture<>();
      answers.add(answer);
      HttpRequest request = post("/v2/models/tiny_lm/generate_stream", "{\"text_input\": \"" + prompts[i]
          + "\", \"max_tokens\": " + maxTokens[i] + ", \"temperature\": 0}");
      Thread reader = new Thread(() -> {
        try {
          StringBuilder text = new StringBuilder();
          client.send(request, HttpResponse.BodyHandlers.ofLines()).body().forEach(line -> {
            if (line.startsWith("data: ")) {
              text.append(read(line.substring(6)).get("text_output").asText());
              started.countDown();
            }
          });
          answer.complete(text.toString());
        } catch (Exception e) {
          answer.completeExceptionally(e);
        } finally {
          started.countDown();
        }
      });
      reader.start();
      // The next sequence joins only once this one is generating: each joins a running batch.
      assertTrue(started.await(60, TimeUnit.SECONDS));
    }
    for (int i = 0; i < prompts.length; i++) {
      assertEquals(reference.complete(prompts[i], maxTokens[i]), answers.get(i).get(60, TimeUnit.SECONDS),
          "sequence " + i);
    }
  }

  @Test
  void aClientThatGoesAwayStopsItsSequence() throws Exception {
    double tokensBefore = completionTokens();
    String body = "{\"text_input\": \"a long answer please\", \"max_tokens\": 1000, \"temperature\": 0}";
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v2/models/tiny_lm/generate_stream HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      int events = 0;
      for (String line; events < 3 && (line = in.readLine()) != null; ) {
        if (line.contains("\"text_output\"")) {
          events++;
        }
      }
      assertEquals(3, events);
    }
    // The engine notices at its next step; wait (boundedly) until it has nothing running.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (gauge("neutrino_generation_sequences_running") > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, gauge("neutrino_generation_sequences_running"));
    double generated = completionTokens() - tokensBefore;
    assertTrue(generated >= 3 && generated < 1000, "the sequence generated " + generated + " tokens");
    assertEquals(0, gauge("neutrino_generation_kv_cache_blocks_used"));
  }

  @Test
  void openAiCompletionsAnswerInOpenAisShapeWithUsage() throws Exception {
    JsonNode answer = postJson("/v1/completions",
        "{\"model\": \"tiny_lm\", \"prompt\": \"Hello\", \"max_tokens\": 10, \"temperature\": 0}", 200);
    assertEquals("text_completion", answer.get("object").asText());
    assertEquals(reference.complete("Hello", 10), answer.at("/choices/0/text").asText());
    assertEquals("length", answer.at("/choices/0/finish_reason").asText());
    assertEquals(5, answer.at("/usage/prompt_tokens").asInt());
    assertEquals(10, answer.at("/usage/completion_tokens").asInt());
  }

  @Test
  void aStopStringEndsTheAnswerBeforeIt() throws Exception {
    String full = reference.complete("Stop", 30);
    String stop = full.substring(8, 10);
    JsonNode answer = postJson("/v1/completions", "{\"model\": \"tiny_lm\", \"prompt\": \"Stop\", \"max_tokens\": 30,"
        + " \"temperature\": 0, \"stop\": [" + JSON.writeValueAsString(stop) + "]}", 200);
    assertEquals(full.substring(0, full.indexOf(stop)), answer.at("/choices/0/text").asText());
    assertEquals("stop", answer.at("/choices/0/finish_reason").asText());
  }

  @Test
  void badRequestsAreRefusedNamingTheProblem() throws Exception {
    assertEquals("the model 'simple' does not generate text",
        postJson("/v2/models/simple/generate", "{\"text_input\": \"x\"}", 400).get("error").asText());
    postJson("/v2/models/no_such_model/generate", "{\"text_input\": \"x\"}", 404);
    assertEquals("text_input must be a string",
        postJson("/v2/models/tiny_lm/generate", "{\"text\": \"x\"}", 400).get("error").asText());
    assertEquals("the prompt (1 tokens) and max_tokens (5000) exceed the model's context of 1024 tokens",
        postJson("/v1/completions", "{\"model\": \"tiny_lm\", \"prompt\": \"x\", \"max_tokens\": 5000}", 400)
            .at("/error/message").asText());
    assertEquals("temperature must be a number",
        postJson("/v1/completions", "{\"model\": \"tiny_lm\", \"prompt\": \"x\", \"temperature\": \"hot\"}", 400)
            .at("/error/message").asText());
    assertEquals("the model 'text_encoder' does not generate text",
        postJson("/v1/chat/completions", "{\"model\": \"text_encoder\", \"messages\": [{\"role\": \"user\","
            + " \"content\": \"x\"}]}", 400).at("/error/message").asText());
  }

  @Test
  void metricsShowTimeToFirstTokenTokensAndTheCache() throws Exception {
    postJson("/v2/models/tiny_lm/generate", "{\"text_input\": \"count me\", \"max_tokens\": 5}", 200);
    Map<String, Double> scrape = Scrapes.scrape(gateway);
    assertTrue(scrape.get("neutrino_generation_time_to_first_token_seconds_count{model=\"tiny_lm\"}") >= 1);
    assertTrue(scrape.get("neutrino_generation_time_between_tokens_seconds_count{model=\"tiny_lm\"}") >= 4);
    assertTrue(scrape.get("neutrino_generation_prompt_tokens_total{model=\"tiny_lm\"}") >= 8);
    assertTrue(scrape.get("neutrino_generation_completion_tokens_total{model=\"tiny_lm\"}") >= 5);
    assertEquals(2048, scrape.get("neutrino_generation_kv_cache_blocks{model=\"tiny_lm\"}"));
    assertEquals(0, scrape.get("neutrino_generation_sequences_waiting{model=\"tiny_lm\"}"));
  }

  @Test
  void theDashboardsGenerationPanelsQuerySeriesTheGatewayExports() throws Exception {
    postJson("/v2/models/tiny_lm/generate", "{\"text_input\": \"panel\", \"max_tokens\": 3}", 200);
    java.util.Set<String> exported = Scrapes.names(Scrapes.scrape(gateway));
    String dashboard = java.nio.file.Files.readString(
        Path.of("..", "helm", "neutrino", "dashboards", "neutrino.json"));
    int generationQueries = 0;
    for (JsonNode expr : JSON.readTree(dashboard).findValues("expr")) {
      String query = expr.asText();
      java.util.Set<String> names = MetricsEndToEndTest.metricNames(query);
      if (names.stream().anyMatch(n -> n.startsWith("neutrino_generation_"))) {
        generationQueries++;
        for (String name : names) {
          assertTrue(exported.contains(name), "the dashboard queries " + name + ", not exported: " + query);
        }
      }
    }
    assertTrue(generationQueries >= 8, "generation queries: " + generationQueries);
  }

  private double completionTokens() {
    return Scrapes.scrape(gateway).getOrDefault("neutrino_generation_completion_tokens_total{model=\"tiny_lm\"}", 0.0);
  }

  private double gauge(String name) {
    return Scrapes.scrape(gateway).getOrDefault(name + "{model=\"tiny_lm\"}", 0.0);
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(json, e);
    }
  }
}
