package dev.neutrino.gateway.call;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.Submission;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The calls an event loop leased during one pass over its ready connections, submitted to their
 * models together when the pass ends.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Why.</b> An event loop decodes, in one pass, every request its ready connections completed.
 * Submitted one by one as they were decoded, the first of them found an instance idle and ran alone,
 * and the next found the other instance idle and ran alone too: under load nearly every batch held one
 * request (recommender_floor over HTTP binary at 64 connections, gateway on one core: 98 % of its
 * batches), so every request paid a model run and two thread wake-ups of its own. Submitted together,
 * the requests of a pass reach the batcher as one arrival ({@link ModelVersion#inferAll}), whose one
 * decision can run them as one batch.
 *
 * <p><b>How.</b> The first call of a pass schedules a task on its event loop ({@code runOnContext}); a
 * Netty event loop runs tasks after the I/O of its pass, so every call the pass leases joins the list
 * first. The task submits each model version's calls with one {@code inferAll}, in arrival order, and
 * hands each call its submission. A lone request waits for nothing but the rest of its own pass. A call
 * cancelled before the task ran is answered as cancelled and never submitted.
 *
 * <p><b>Threads.</b> One list per event-loop thread, touched only on that thread; a call made off its
 * event loop (none is, today) is submitted at once. Each gateway's {@link InferenceCalls} (one, shared
 * by its front ends) has its own thread-local, so two gateways in one JVM keep their passes apart.
 */
final class Arrivals {
  private final FastThreadLocal<Pass> passes = new FastThreadLocal<>() {
    @Override
    protected Pass initialValue() {
      return new Pass();
    }
  };

  /** One event loop's pass: the calls leased since its task was scheduled. */
  private static final class Pass {
    List<InferenceCall> calls = new ArrayList<>();
    List<InferenceCall> spare = new ArrayList<>();
  }

  /** Adds a leased call to the pass of the event loop it runs on, scheduling the pass's submission. */
  void add(InferenceCall call, ContextInternal context) {
    if (!context.inThread()) {
      submitAlone(call);
      return;
    }
    Pass pass = passes.get();
    pass.calls.add(call);
    if (pass.calls.size() == 1) {
      context.runOnContext(ignored -> submit(pass));
    }
  }

  private static void submitAlone(InferenceCall call) {
    submit(call.version(), List.of(call));
  }

  /** Submits the pass's calls, a model version at a time; on the pass's event loop. */
  private static void submit(Pass pass) {
    List<InferenceCall> calls = pass.calls;
    pass.calls = pass.spare;
    pass.spare = calls;
    try {
      if (calls.size() == 1) {
        submitAlone(calls.get(0));
        return;
      }
      Map<ModelVersion, List<InferenceCall>> byVersion = new LinkedHashMap<>();
      for (InferenceCall call : calls) {
        byVersion.computeIfAbsent(call.version(), version -> new ArrayList<>()).add(call);
      }
      byVersion.forEach(Arrivals::submit);
    } finally {
      calls.clear();
    }
  }

  /** Submits {@code calls}, all leased on {@code version}, as one arrival. */
  private static void submit(ModelVersion version, List<InferenceCall> calls) {
    List<InferenceCall> live = new ArrayList<>(calls.size());
    List<InferenceRequest> requests = new ArrayList<>(calls.size());
    for (InferenceCall call : calls) {
      if (call.cancelled()) {
        call.notSubmitted(new InferenceException.Cancelled("the client went away"));
      } else {
        live.add(call);
        requests.add(call.request());
      }
    }
    if (live.isEmpty()) {
      return;
    }
    List<Submission> submissions;
    try {
      submissions = version.inferAll(requests);
    } catch (RuntimeException e) {
      for (InferenceCall call : live) {
        call.notSubmitted(e);
      }
      return;
    }
    for (int i = 0; i < live.size(); i++) {
      live.get(i).submitted(submissions.get(i));
    }
  }
}
