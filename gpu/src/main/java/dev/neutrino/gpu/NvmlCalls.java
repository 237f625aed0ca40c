package dev.neutrino.gpu;

import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetCount_v2;
import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetHandleByIndex_v2;
import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetMemoryInfo;
import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetName;
import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetUUID;
import static org.bytedeco.cuda.global.nvml.nvmlDeviceGetUtilizationRates;
import static org.bytedeco.cuda.global.nvml.nvmlErrorString;
import static org.bytedeco.cuda.global.nvml.nvmlInit_v2;
import static org.bytedeco.cuda.global.nvml.nvmlSystemGetCudaDriverVersion;
import static org.bytedeco.cuda.global.nvml.nvmlSystemGetDriverVersion;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.global.nvml;
import org.bytedeco.cuda.nvml.nvmlDevice_st;
import org.bytedeco.cuda.nvml.nvmlMemory_t;
import org.bytedeco.cuda.nvml.nvmlUtilization_t;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/** NVML calls; only reached once the presets are known to be on the class path. */
final class NvmlCalls {
  /** NVML's NVML_ERROR_NOT_SUPPORTED: a reading this device does not offer. */
  private static final int NOT_SUPPORTED = 3;

  private NvmlCalls() {}

  /** Loads and initialises NVML (NVML counts its initialisations; the process keeps one). */
  static String probe() {
    Loader.load(nvml.class);
    check(nvmlInit_v2(), "nvmlInit");
    byte[] driver = new byte[96];
    check(nvmlSystemGetDriverVersion(driver, driver.length), "nvmlSystemGetDriverVersion");
    int[] cuda = new int[1];
    check(nvmlSystemGetCudaDriverVersion(cuda), "nvmlSystemGetCudaDriverVersion");
    return "driver " + text(driver) + ", CUDA " + CudaCalls.version(cuda[0]);
  }

  static List<GpuReading> read() {
    int[] count = new int[1];
    check(nvmlDeviceGetCount_v2(count), "nvmlDeviceGetCount");
    List<GpuReading> readings = new ArrayList<>(count[0]);
    try (nvmlMemory_t memory = new nvmlMemory_t(); nvmlUtilization_t utilization = new nvmlUtilization_t()) {
      for (int i = 0; i < count[0]; i++) {
        nvmlDevice_st device = new nvmlDevice_st();
        check(nvmlDeviceGetHandleByIndex_v2(i, device), "nvmlDeviceGetHandleByIndex");
        byte[] name = new byte[96];
        check(nvmlDeviceGetName(device, name, name.length), "nvmlDeviceGetName");
        byte[] uuid = new byte[96];
        check(nvmlDeviceGetUUID(device, uuid, uuid.length), "nvmlDeviceGetUUID");
        check(nvmlDeviceGetMemoryInfo(device, memory), "nvmlDeviceGetMemoryInfo");
        int status = nvmlDeviceGetUtilizationRates(device, utilization);
        double busy = Double.NaN;
        if (status == 0) {
          busy = utilization.gpu() / 100.0;
        } else if (status != NOT_SUPPORTED) {
          check(status, "nvmlDeviceGetUtilizationRates");
        }
        readings.add(new GpuReading(i, text(name), text(uuid), busy, memory.used(), memory.total()));
      }
    }
    return readings;
  }

  private static String text(byte[] bytes) {
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  private static void check(int status, String call) {
    if (status != 0) {
      BytePointer text = nvmlErrorString(status);
      throw new GpuException("NVML " + call + " failed: " + (text == null ? "error " + status : text.getString())
          + " (" + status + ")");
    }
  }
}
