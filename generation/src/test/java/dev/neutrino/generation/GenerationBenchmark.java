package dev.neutrino.generation;

import dev.neutrino.batching.Ticker;
import dev.neutrino.runtime.InferenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time to first token and tokens per second of the engine on the example model, at 1, 8 and 32
 * concurrent streams, with continuous and with static batching. Not a test: run it by hand, on a quiet
 * machine, with the test classpath:
 *
 * <pre>
 * mvn -o -q -pl generation -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp generation/target/test-classes:generation/target/classes:$(cat generation/target/cp.txt) \
 *     dev.neutrino.generation.GenerationBenchmark
 * </pre>
 *
 * <p>Each stream is a closed-loop client: a 32-token prompt, {@code max_tokens} drawn from 16 to
 * 128 (fixed seed, the same draws for both kinds of batching), then the next request at once, until
 * {@value #SEQUENCES_PER_STREAM} sequences per stream have finished.
 */
public final class GenerationBenchmark {
  private static final int SEQUENCES_PER_STREAM = 4;
  private static final int PROMPT_TOKENS = 32;

  private GenerationBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path folder = Files.createTempDirectory("generation-benchmark");
    System.out.printf("%-10s %7s %12s %12s %12s %10s%n", "batching", "streams", "ttft_p50_ms", "ttft_p99_ms",
        "tokens/s", "steps");
    for (GenerationOptions.Admission admission : GenerationOptions.Admission.values()) {
      for (int streams : new int[] {1, 8, 32}) {
        run(folder, admission, streams);
      }
    }
  }

  private static void run(Path folder, GenerationOptions.Admission admission, int streams) throws Exception {
    List<Long> firstTokens = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger generated = new AtomicInteger();
    GenerationObserver observer = new GenerationObserver() {
      @Override
      public void firstToken(long nanos) {
        firstTokens.add(nanos);
      }

      @Override
      public void tokens(int promptTokens, int completionTokens) {
        generated.addAndGet(completionTokens);
      }
    };
    GenerationOptions options = GenerationOptions.DEFAULT.withAdmission(admission);
    try (GenerationEngine engine = GenerationEngine.start(TinyModel.load(folder), TinyModel.TOKENIZER, options,
        Ticker.system(), observer, "benchmark")) {
      // Warm-up: one sequence.
      CountDownLatch warm = new CountDownLatch(1);
      engine.submit(request(new SplittableRandom(1), 16), finishing(warm::countDown));
      warm.await(60, TimeUnit.SECONDS);
      firstTokens.clear();
      generated.set(0);
      long stepsBefore = engine.steps();
      CountDownLatch done = new CountDownLatch(streams);
      long start = System.nanoTime();
      for (int s = 0; s < streams; s++) {
        SplittableRandom random = new SplittableRandom(1000 + s);
        new Stream(engine, random, done).next();
      }
      done.await(600, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      List<Long> sorted = new ArrayList<>(firstTokens);
      Collections.sort(sorted);
      System.out.printf("%-10s %7d %12.1f %12.1f %12.0f %10d%n", admission.name().toLowerCase(), streams,
          percentile(sorted, 0.5) / 1e6, percentile(sorted, 0.99) / 1e6, generated.get() / seconds,
          engine.steps() - stepsBefore);
    }
  }

  private static GenerationRequest request(SplittableRandom random, int maxTokens) {
    int[] prompt = new int[PROMPT_TOKENS];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 32 + random.nextInt(95);
    }
    return new GenerationRequest(prompt, SamplingParams.greedy(maxTokens));
  }

  private static long percentile(List<Long> sorted, double q) {
    return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }

  private static GenerationListener finishing(Runnable then) {
    return new GenerationListener() {
      @Override
      public void onText(String text, int completionTokens) {}

      @Override
      public void onFinish(Completion completion) {
        then.run();
      }

      @Override
      public void onFailure(InferenceException failure) {
        throw failure;
      }
    };
  }

  /** A closed-loop client: the next request as soon as the last one finishes. */
  private static final class Stream {
    private final GenerationEngine engine;
    private final SplittableRandom random;
    private final CountDownLatch done;
    private int sent;

    Stream(GenerationEngine engine, SplittableRandom random, CountDownLatch done) {
      this.engine = engine;
      this.random = random;
      this.done = done;
    }

    void next() {
      if (sent++ == SEQUENCES_PER_STREAM) {
        done.countDown();
        return;
      }
      engine.submit(request(random, 16 + random.nextInt(113)), finishing(this::next));
    }
  }
}
