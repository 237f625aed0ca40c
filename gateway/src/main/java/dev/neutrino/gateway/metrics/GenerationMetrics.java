package dev.neutrino.gateway.metrics;

import dev.neutrino.generation.GenerationEngine;
import dev.neutrino.generation.GenerationObserver;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What an SRE of a chatbot backend watches, per generative model: time to first token and between
 * tokens (histograms, seconds), prompt and completion tokens (counters: their rates are tokens per
 * second in and out), model steps, and, read from the engines at each scrape, sequences running and
 * waiting and key/value cache blocks used and in all. The {@code model} label only ever holds the
 * name of a model whose engine started. Thread-safe.
 */
public final class GenerationMetrics {
  private final Histogram firstToken = Histogram.build()
      .name("neutrino_generation_time_to_first_token_seconds")
      .help("Time from a generation request's arrival to its first token.")
      .labelNames("model")
      .buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
      .create();
  private final Histogram betweenTokens = Histogram.build()
      .name("neutrino_generation_time_between_tokens_seconds")
      .help("Time between two tokens of one sequence.")
      .labelNames("model")
      .buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
      .create();
  private final Counter promptTokens = Counter.build()
      .name("neutrino_generation_prompt_tokens_total")
      .help("Prompt tokens read by generative models.")
      .labelNames("model")
      .create();
  private final Counter completionTokens = Counter.build()
      .name("neutrino_generation_completion_tokens_total")
      .help("Tokens generated.")
      .labelNames("model")
      .create();
  private final Counter steps = Counter.build()
      .name("neutrino_generation_steps_total")
      .help("Model steps run by generation engines; each step advances every sequence in the running batch.")
      .labelNames("model")
      .create();

  private GenerationMetrics() {}

  /**
   * Creates the metrics and registers them, with gauges read from {@code engines} (by model name),
   * in the gateway's registry; with metrics off they are counted but not exported.
   */
  public static GenerationMetrics create(GatewayMetrics metrics, Supplier<Map<String, GenerationEngine>> engines) {
    GenerationMetrics created = new GenerationMetrics();
    CollectorRegistry registry = metrics.registry();
    if (registry != null) {
      created.firstToken.register(registry);
      created.betweenTokens.register(registry);
      created.promptTokens.register(registry);
      created.completionTokens.register(registry);
      created.steps.register(registry);
      new EngineGauges(engines).register(registry);
    }
    return created;
  }

  /** What the engine of {@code model} reports to. */
  public GenerationObserver observer(String model) {
    Histogram.Child first = firstToken.labels(model);
    Histogram.Child between = betweenTokens.labels(model);
    Counter.Child prompt = promptTokens.labels(model);
    Counter.Child completion = completionTokens.labels(model);
    Counter.Child step = steps.labels(model);
    return new GenerationObserver() {
      @Override
      public void firstToken(long nanos) {
        first.observe(nanos / 1e9);
      }

      @Override
      public void betweenTokens(long nanos) {
        between.observe(nanos / 1e9);
      }

      @Override
      public void tokens(int promptCount, int completionCount) {
        prompt.inc(promptCount);
        completion.inc(completionCount);
      }

      @Override
      public void step() {
        step.inc();
      }
    };
  }

  private static final class EngineGauges extends Collector implements Collector.Describable {
    private final Supplier<Map<String, GenerationEngine>> engines;

    EngineGauges(Supplier<Map<String, GenerationEngine>> engines) {
      this.engines = engines;
    }

    @Override
    public List<MetricFamilySamples> collect() {
      GaugeMetricFamily running = family("neutrino_generation_sequences_running",
          "Sequences in a generation engine's running batch.");
      GaugeMetricFamily waiting = family("neutrino_generation_sequences_waiting",
          "Sequences waiting to join a generation engine's running batch.");
      GaugeMetricFamily used = family("neutrino_generation_kv_cache_blocks_used",
          "Key/value cache blocks held by sequences.");
      GaugeMetricFamily total = family("neutrino_generation_kv_cache_blocks",
          "Key/value cache blocks preallocated.");
      for (Map.Entry<String, GenerationEngine> entry : engines.get().entrySet()) {
        List<String> model = List.of(entry.getKey());
        GenerationEngine engine = entry.getValue();
        running.addMetric(model, engine.running());
        waiting.addMetric(model, engine.waiting());
        used.addMetric(model, engine.kvBlocksUsed());
        total.addMetric(model, engine.kvBlocks());
      }
      return List.of(running, waiting, used, total);
    }

    @Override
    public List<MetricFamilySamples> describe() {
      return List.of(family("neutrino_generation_sequences_running", ""),
          family("neutrino_generation_sequences_waiting", ""),
          family("neutrino_generation_kv_cache_blocks_used", ""),
          family("neutrino_generation_kv_cache_blocks", ""));
    }

    private static GaugeMetricFamily family(String name, String help) {
      return new GaugeMetricFamily(name, help, List.of("model"));
    }
  }
}
