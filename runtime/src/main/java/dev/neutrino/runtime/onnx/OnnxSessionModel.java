package dev.neutrino.runtime.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One model instance on ONNX Runtime: an {@link OrtSession} and what we know about its signature.
 *
 * <p>Design note. A run wraps each input {@link Tensor}'s buffer as an {@link OnnxTensor} without
 * copying: ORT's Java binding hands a direct buffer's address straight to the native tensor
 * (read-only buffers included), so the bytes the batcher assembled are the bytes the kernels read; a
 * tensor over a heap buffer is first copied once into a direct one. BYTES inputs are the exception:
 * ORT's Java API takes string tensors only as {@code String[]}, so they are decoded (strict UTF-8)
 * and re-encoded by ORT. Outputs live in ORT-owned native memory that dies with the
 * {@link OrtSession.Result}, so each requested output is copied into a fresh direct buffer that the
 * caller then owns (ORT's public API only offers a heap copy of an output, so that is two copies);
 * every native object created by a run is closed in {@code finally}, whatever the outcome.
 *
 * <p>UINT16/32/64 inputs cannot be created through ORT's Java API. The backend loads such models with
 * each of those inputs re-declared as its signed twin under a private name, cast back to the unsigned
 * type inside the graph ({@link #sessionInputNames} maps our names to the session's); the bytes are
 * passed unchanged, so callers still see and send the unsigned type. Unsigned outputs need no rewrite:
 * ORT reads them back as raw bytes.
 *
 * <p>Thread-safety: as {@link LoadedModel} states, {@link #run} is called by one thread at a time (the
 * instance's own), {@link #inputs()}, {@link #outputs()} and {@link #device()} from any thread (they
 * are immutable). {@link #close()} is idempotent and must only be called once no run is in progress.
 */
final class OnnxSessionModel implements LoadedModel {
  private static final System.Logger LOG = System.getLogger(OnnxSessionModel.class.getName());

  private final OrtEnvironment env;
  private final OrtSession session;
  private final String device;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final Map<String, DataType> inputTypes;
  /** Our input name to the session's, where they differ (rewritten unsigned inputs only). */
  private final Map<String, String> sessionInputNames;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set once by the backend before the model is handed out. */
  private volatile GraphCacheResult graphCacheResult = GraphCacheResult.NOT_USED;

  private OnnxSessionModel(
      OrtEnvironment env,
      OrtSession session,
      String device,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      Map<String, String> sessionInputNames) {
    this.env = env;
    this.session = session;
    this.device = device;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.sessionInputNames = Map.copyOf(sessionInputNames);
    Map<String, DataType> types = new HashMap<>();
    for (TensorSpec spec : inputs) {
      types.put(spec.name(), spec.datatype());
    }
    this.inputTypes = Map.copyOf(types);
  }

  /**
   * Reads the signature of {@code session} and wraps it. Ownership of the session moves to the
   * returned model; when this throws, the session has been closed.
   *
   * @param renamedInputs the inputs that were re-declared as signed twins, by the session's name
   * @throws ModelLoadException when an input or output is not a tensor of a type we support
   */
  static OnnxSessionModel wrap(
      OrtEnvironment env,
      OrtSession session,
      String device,
      Map<String, UnsignedInputs.Renamed> renamedInputs)
      throws ModelLoadException {
    try {
      List<TensorSpec> inputs = new ArrayList<>();
      Map<String, String> sessionInputNames = new HashMap<>();
      for (NodeInfo info : session.getInputInfo().values()) {
        TensorSpec spec = specOf("input", info);
        UnsignedInputs.Renamed renamed = renamedInputs.get(info.getName());
        if (renamed != null) {
          spec = new TensorSpec(renamed.originalName(), renamed.originalType(), spec.shape());
          sessionInputNames.put(renamed.originalName(), info.getName());
        }
        inputs.add(spec);
      }
      List<TensorSpec> outputs = new ArrayList<>();
      for (NodeInfo info : session.getOutputInfo().values()) {
        outputs.add(specOf("output", info));
      }
      return new OnnxSessionModel(env, session, device, inputs, outputs, sessionInputNames);
    } catch (OrtException | RuntimeException e) {
      closeQuietly(session);
      throw new ModelLoadException(
          "cannot read the model's inputs and outputs: " + OrtMessages.clean(e, null), e);
    } catch (ModelLoadException e) {
      closeQuietly(session);
      throw e;
    }
  }

  /** Records what the optimized-graph cache did for this instance's session; returns this model. */
  OnnxSessionModel withGraphCacheResult(GraphCacheResult result) {
    graphCacheResult = result;
    return this;
  }

  @Override
  public GraphCacheResult graphCacheResult() {
    return graphCacheResult;
  }

  private static TensorSpec specOf(String role, NodeInfo node) throws ModelLoadException {
    ValueInfo info = node.getInfo();
    if (!(info instanceof TensorInfo tensor)) {
      String kind =
          info instanceof SequenceInfo ? "a sequence"
              : info instanceof MapInfo ? "a map"
              : "not a tensor";
      throw new ModelLoadException(
          role + " '" + node.getName() + "' is " + kind
              + "; only tensor inputs and outputs are supported");
    }
    DataType type = OnnxElementTypes.toDataType(tensor.onnxType);
    if (type == null) {
      throw new ModelLoadException(
          role + " '" + node.getName() + "' has element type "
              + OnnxElementTypes.describe(tensor.onnxType) + ", which is not supported");
    }
    long[] shape = tensor.getShape();
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        shape[i] = -1;
      }
    }
    return new TensorSpec(node.getName(), type, shape);
  }

  @Override
  public List<TensorSpec> inputs() {
    return inputs;
  }

  @Override
  public List<TensorSpec> outputs() {
    return outputs;
  }

  @Override
  public String device() {
    return device;
  }

  /**
   * Runs one batch. The input tensors' buffers are read in place by ORT for the duration of the call
   * and must not change until it returns; the caller keeps ownership. The returned tensors own new
   * direct buffers that nothing else references.
   *
   * @throws InferenceException.BackendFailure when an input's datatype differs from the declared one
   *     or ORT fails; the session stays usable
   * @throws InferenceException.InvalidInput when a BYTES element for a string input is not UTF-8
   */
  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
    if (closed.get()) {
      throw new InferenceException.BackendFailure("model failed: the model instance is closed", null);
    }
    Map<String, OnnxTensor> feeds = new HashMap<>(inputs.size() * 2);
    List<OnnxTensor> created = new ArrayList<>(inputs.size());
    OrtSession.Result result = null;
    try {
      for (Map.Entry<String, Tensor> entry : inputs.entrySet()) {
        String name = entry.getKey();
        Tensor tensor = entry.getValue();
        DataType declared = inputTypes.get(name);
        if (declared != null && declared != tensor.datatype()) {
          throw new InferenceException.BackendFailure(
              "model failed: input '" + name + "' is " + tensor.datatype() + " but the model expects "
                  + declared,
              null);
        }
        OnnxTensor feed = toOnnx(name, tensor);
        created.add(feed);
        feeds.put(sessionInputNames.getOrDefault(name, name), feed);
      }
      result = session.run(feeds, outputs);
      Map<String, Tensor> produced = new LinkedHashMap<>(outputs.size() * 2);
      for (String name : outputs) {
        OnnxValue value =
            result
                .get(name)
                .orElseThrow(() -> new IllegalStateException("no value for output '" + name + "'"));
        produced.put(name, toTensor(name, value));
      }
      return produced;
    } catch (InferenceException e) {
      throw e;
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException.BackendFailure("model failed: " + OrtMessages.clean(e, null), e);
    } finally {
      if (result != null) {
        result.close();
      }
      for (OnnxTensor feed : created) {
        feed.close();
      }
    }
  }

  private OnnxTensor toOnnx(String name, Tensor tensor) throws OrtException {
    if (tensor.datatype() == DataType.BYTES) {
      String[] strings;
      try {
        strings = StringTensors.decode(tensor);
      } catch (StringTensors.NotUtf8Exception e) {
        throw new InferenceException.InvalidInput("input '" + name + "': " + e.getMessage());
      }
      return OnnxTensor.createTensor(env, strings, tensor.shape());
    }
    ByteBuffer data = tensor.data();
    if (!data.isDirect()) {
      // ORT 1.23's copy of heap byte buffers casts them to the element's buffer type and fails:
      // copy into a direct buffer here (the OnnxTensor keeps it reachable until closed).
      data = Tensor.allocate(data.remaining()).put(data).flip();
    }
    // A direct buffer, read-only or not, is wrapped in place: ORT reads our memory, no copy.
    return OnnxTensor.createTensor(
        env, data, tensor.shape(), OnnxElementTypes.toJavaType(tensor.datatype()));
  }

  private static Tensor toTensor(String name, OnnxValue value) throws OrtException {
    if (!(value instanceof OnnxTensor onnx)) {
      throw new IllegalStateException("output '" + name + "' is not a tensor");
    }
    TensorInfo info = onnx.getInfo();
    DataType type = OnnxElementTypes.toDataType(info.onnxType);
    if (type == null) {
      throw new IllegalStateException(
          "output '" + name + "' has unsupported element type "
              + OnnxElementTypes.describe(info.onnxType));
    }
    long[] shape = info.getShape();
    if (type == DataType.BYTES) {
      return StringTensors.encode(
          shape, StringTensors.flatten(onnx.getValue(), info.getNumElements()));
    }
    // ORT's Java API has no public view of an output's native memory: getByteBuffer() returns a
    // heap copy, which we copy once more into the direct buffer the caller will own.
    ByteBuffer copy = onnx.getByteBuffer();
    ByteBuffer owned = Tensor.allocate(copy.remaining());
    owned.put(copy).flip();
    return Tensor.of(type, shape, owned);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      closeQuietly(session);
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException | RuntimeException e) {
      LOG.log(Level.WARNING, "closing an ONNX Runtime session failed: {0}", OrtMessages.clean(e, null));
    }
  }

  @Override
  public String toString() {
    return "OnnxSessionModel[" + device + ", inputs=" + inputs + ", outputs=" + outputs + "]";
  }
}
