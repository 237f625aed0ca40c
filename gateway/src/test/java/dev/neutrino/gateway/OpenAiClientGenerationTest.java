package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official OpenAI Java client, unmodified, against the real gateway serving the example model
 * {@code tiny_lm}: completions and chat completions, whole and streamed, equal to greedy decoding of
 * the same model in-process (the chat through the model's configured template).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiClientGenerationTest {
  /** tiny_lm's chat template (its config.yaml), applied to one user message. */
  private static final String CHAT_PROMPT = "<|user|>\nSay something nice\n<|assistant|>\n";

  private Gateway gateway;
  private GreedyReference reference;
  private OpenAIClient openAi;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path repository = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(repository);
    reference = new GreedyReference(repository);
    openAi = OpenAIOkHttpClient.builder()
        .baseUrl("http://" + gateway.host() + ":" + gateway.httpPort() + "/v1")
        .apiKey("unused")
        .maxRetries(0)
        .timeout(Duration.ofSeconds(60))
        .build();
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

  private static CompletionCreateParams completion(String prompt, long maxTokens) {
    return CompletionCreateParams.builder().model("tiny_lm").prompt(prompt).maxTokens(maxTokens).temperature(0.0)
        .build();
  }

  private static ChatCompletionCreateParams chat(long maxTokens) {
    return ChatCompletionCreateParams.builder().model("tiny_lm").addUserMessage("Say something nice")
        .maxCompletionTokens(maxTokens).temperature(0.0).build();
  }

  @Test
  void completion() {
    Completion answer = openAi.completions().create(completion("Roses are red", 20));
    CompletionChoice choice = answer.choices().get(0);
    assertEquals(reference.complete("Roses are red", 20), choice.text());
    assertEquals(CompletionChoice.FinishReason.LENGTH, choice.finishReason());
    assertEquals(13, answer.usage().orElseThrow().promptTokens());
    assertEquals(20, answer.usage().orElseThrow().completionTokens());
    assertEquals("tiny_lm", answer.model());
  }

  @Test
  void streamedCompletion() {
    StringBuilder text = new StringBuilder();
    List<CompletionChoice.FinishReason> reasons = new ArrayList<>();
    int chunks = 0;
    try (StreamResponse<Completion> stream = openAi.completions().createStreaming(completion("Violets are", 25))) {
      for (Completion chunk : (Iterable<Completion>) stream.stream()::iterator) {
        chunks++;
        for (CompletionChoice choice : chunk.choices()) {
          text.append(choice.text());
          choice._finishReason().asKnown().ifPresent(reasons::add);
        }
      }
    }
    assertTrue(chunks > 2, "chunks: " + chunks);
    assertEquals(reference.complete("Violets are", 25), text.toString());
    assertEquals(List.of(CompletionChoice.FinishReason.LENGTH), reasons);
  }

  @Test
  void chatCompletionUsesTheModelsChatTemplate() {
    ChatCompletion answer = openAi.chat().completions().create(chat(16));
    assertEquals(reference.complete(CHAT_PROMPT, 16), answer.choices().get(0).message().content().orElseThrow());
    assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, answer.choices().get(0).finishReason());
    assertEquals(CHAT_PROMPT.length(), answer.usage().orElseThrow().promptTokens());
  }

  @Test
  void streamedChatCompletion() {
    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk.Choice.FinishReason> reasons = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = openAi.chat().completions().createStreaming(chat(24))) {
      for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
        for (ChatCompletionChunk.Choice choice : chunk.choices()) {
          choice.delta().content().ifPresent(text::append);
          choice.finishReason().ifPresent(reasons::add);
        }
      }
    }
    assertEquals(reference.complete(CHAT_PROMPT, 24), text.toString());
    assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.LENGTH), reasons);
  }

  @Test
  void errorsReachTheClientAsOpenAiErrors() {
    NotFoundException missing = assertThrows(NotFoundException.class,
        () -> openAi.completions().create(CompletionCreateParams.builder().model("no_such_model").prompt("x").build()));
    assertTrue(missing.getMessage().contains("no_such_model"), missing.getMessage());
    BadRequestException tooLong = assertThrows(BadRequestException.class,
        () -> openAi.completions().create(completion("x", 5000)));
    assertTrue(tooLong.getMessage().contains("exceed the model's context of 1024 tokens"), tooLong.getMessage());
  }
}
