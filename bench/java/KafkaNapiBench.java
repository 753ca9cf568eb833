/*
 * The Java reference producer of `npm run bench` (bench/java.js compiles and runs it against the
 * jars of bench/java/pom.xml: kafka-tools and kafka-clients of the broker's Kafka version).
 *
 *   java -cp <classes>:<jars>/* KafkaNapiBench <plan.json> <result.json>
 *
 * The plan is the one bench/child.js gets; the result has the same shape (workloads 3 and 4 only).
 *
 * W3 (keyless, the 1-partition topic): Apache Kafka's own org.apache.kafka.tools.ProducerPerformance,
 * run in this JVM once per repetition (`--num-records N --record-size S --throughput -1
 * --producer-props bootstrap.servers=.. acks=.. linger.ms=0`); the figure is the records/sec of
 * its summary line. ProducerPerformance keeps as many records in flight as the producer's buffer
 * holds (not 4 sends of 1,000), and creates and closes its producer in every run: it is the
 * reference tool, not the same loop. N is sized from the warm-up run so that a repetition takes
 * about `plan.w3.seconds`.
 *
 * W4 (keyed, the 3- and 12-partition topics): ProducerPerformance has no key option, so this
 * class runs the loop of the Node.js clients with a KafkaProducer (defaults, acks, linger.ms 0,
 * the default partitioner: murmur2 of the key): sends of `batch` records with keys
 * `key-<i mod keys>`, `inflight` sends in flight, a send complete when the callbacks of all its
 * records have run.
 *
 * CPU: the process CPU time of the JVM (every thread: sender, GC, JIT) per million records.
 * Peak RSS: VmHWM of /proc/self/status. Progress ticks (`@@tick <label>`) go to stderr.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.tools.ProducerPerformance;

public final class KafkaNapiBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SUMMARY =
      Pattern.compile("(\\d+) records sent, ([0-9.]+) records/sec \\(([0-9.]+) MB/sec\\)");

  private static JsonNode plan;
  private static Path resultFile;
  private static final AtomicLong errors = new AtomicLong();
  private static final AtomicReference<String> firstError = new AtomicReference<>();

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    plan = JSON.readTree(Files.readAllBytes(Paths.get(args[0])));
    resultFile = Paths.get(args[1]);
    ObjectNode result = JSON.createObjectNode();
    result.put("client", "java");
    result.put("version", "kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
        + " (W3: kafka-tools ProducerPerformance; W4: KafkaProducer loop), Java " + System.getProperty("java.version"));
    result.put("settings", "acks per run, linger.ms 0, otherwise the producer's defaults"
        + " (batch.size 16384, buffer.memory 32 MB, idempotence with acks=-1); -Xmx512M");
    ArrayNode combos = result.putArray("combos");
    save(result);
    for (JsonNode combo : plan.get("combos")) {
      ObjectNode out = combos.addObject();
      out.put("size", combo.get("size").asInt());
      out.put("acks", combo.get("acks").asInt());
      if (on("w3")) {
        try {
          out.set("w3", producerPerformance(combo.get("size").asInt(), combo.get("acks").asInt()));
        } catch (Exception e) {
          out.putObject("w3").put("error", String.valueOf(e));
        }
      }
      save(result);
    }
    result.put("maxRssKbW1W3", peakRssKb());
    JsonNode w4 = plan.get("w4");
    if (on("w4") && w4 != null && !w4.isNull()) {
      for (JsonNode c : combos) {
        ObjectNode out = (ObjectNode) c;
        int size = out.get("size").asInt();
        int acks = out.get("acks").asInt();
        try (KafkaProducer<byte[], byte[]> producer = producer(acks)) {
          for (JsonNode t : w4.get("topics")) {
            String w = "w4p" + t.get("partitions").asInt();
            try {
              out.set(w, keyed(producer, t.get("topic").asText(), size, acks, t.get("partitions").asInt()));
            } catch (Exception e) {
              out.putObject(w).put("error", String.valueOf(e));
            }
          }
        }
        save(result);
      }
    }
    result.put("errors", errors.get());
    if (firstError.get() != null) result.put("firstError", firstError.get());
    save(result);
    System.exit(0);
  }

  private static boolean on(String w) {
    JsonNode ws = plan.get("workloads");
    if (ws == null || ws.isNull()) return true;
    for (JsonNode x : ws) if (x.asText().equals(w)) return true;
    return false;
  }

  private static void save(ObjectNode result) throws Exception {
    result.put("maxRssKb", peakRssKb());
    Path tmp = Paths.get(resultFile + ".tmp");
    Files.write(tmp, JSON.writeValueAsBytes(result));
    Files.move(tmp, resultFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void tick(String label) {
    System.err.println("@@tick " + label);
    System.err.flush();
  }

  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  private static long peakRssKb() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/status")))
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
    } catch (Exception e) {
      // not Linux: no figure
    }
    return -1;
  }

  private static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    int m = v.size() / 2;
    return v.size() % 2 == 1 ? v.get(m) : (v.get(m - 1) + v.get(m)) / 2;
  }

  private static ObjectNode medians(ArrayNode reps, String... keys) {
    ObjectNode out = JSON.createObjectNode();
    for (String k : keys) {
      List<Double> v = new ArrayList<>();
      for (JsonNode r : reps) v.add(r.get(k).asDouble());
      out.put(k, median(v));
    }
    out.set("reps", reps);
    return out;
  }

  /** One ProducerPerformance run in this JVM: {records, records/s, MB/s} from its summary line. */
  private static double[] perfRun(String topic, int size, int acks, long records) throws Exception {
    String[] args = {
      "--topic", topic, "--num-records", Long.toString(records), "--record-size", Integer.toString(size),
      "--throughput", "-1", "--producer-props", "bootstrap.servers=" + plan.get("brokers").asText(),
      "acks=" + acks, "linger.ms=0", "client.id=bench",
    };
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ProducerPerformance.main(args);
    } finally {
      System.setOut(stdout);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    System.err.print(text);
    Matcher m = SUMMARY.matcher(text);
    double[] last = null;
    while (m.find())
      last = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))};
    if (last == null) throw new IllegalStateException("no summary line from ProducerPerformance: " + text.trim());
    return last;
  }

  private static ObjectNode producerPerformance(int size, int acks) throws Exception {
    JsonNode p = plan.get("w3");
    String label = size + "B acks=" + acks + " w3";
    String topic = plan.get("topic").asText();
    long max = (long) (p.get("maxBytes").asDouble() / size);
    long warmup = Math.min(max, Math.max(5000, (long) (100_000 * p.get("warmupSeconds").asDouble())));
    double[] w = perfRun(topic, size, acks, warmup);
    tick(label + " warm-up");
    ArrayNode reps = JSON.createArrayNode();
    long n = Math.min(max, Math.max(5000, (long) (w[1] * p.get("seconds").asDouble())));
    for (int r = 0; r < p.get("reps").asInt(); r++) {
      double c0 = cpuSeconds();
      double[] res = perfRun(topic, size, acks, n);
      double cpu = cpuSeconds() - c0;
      ObjectNode rep = reps.addObject();
      rep.put("msgsPerSec", res[1]);
      rep.put("mbPerSec", res[1] * size / 1e6);
      rep.put("messages", (long) res[0]);
      rep.put("seconds", res[0] / res[1]);
      rep.put("cpuPerMillion", cpu / res[0] * 1e6);
      tick(label + " rep " + (r + 1));
    }
    return medians(reps, "msgsPerSec", "mbPerSec", "cpuPerMillion");
  }

  private static KafkaProducer<byte[], byte[]> producer(int acks) {
    Properties props = new Properties();
    props.put("bootstrap.servers", plan.get("brokers").asText());
    props.put("client.id", "bench");
    props.put("acks", Integer.toString(acks));
    props.put("linger.ms", "0");
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends of `batch` keyed records, `inflight` at once, for `seconds` or `max` records. */
  private static double[] keyedRun(KafkaProducer<byte[], byte[]> producer, String topic, byte[] value,
      byte[][] keys, double seconds, long max, int batch, int inflight) throws InterruptedException {
    Semaphore free = new Semaphore(inflight);
    long t0 = System.nanoTime();
    long started = 0;
    while (started + batch <= max && (System.nanoTime() - t0) / 1e9 < seconds) {
      free.acquire();
      AtomicInteger left = new AtomicInteger(batch);
      Callback cb = (metadata, e) -> {
        if (e != null) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, String.valueOf(e));
        }
        if (left.decrementAndGet() == 0) free.release();
      };
      for (int j = 0; j < batch; j++)
        producer.send(new ProducerRecord<>(topic, keys[(int) ((started + j) % keys.length)], value), cb);
      started += batch;
    }
    free.acquire(inflight);
    free.release(inflight);
    return new double[] {started, (System.nanoTime() - t0) / 1e9};
  }

  private static ObjectNode keyed(KafkaProducer<byte[], byte[]> producer, String topic, int size, int acks,
      int partitions) throws Exception {
    JsonNode p = plan.get("w4");
    String label = size + "B acks=" + acks + " w4 " + partitions + "p";
    byte[] value = new byte[size];
    for (int i = 0; i < size; i++) value[i] = (byte) ((i * 31) % 251);
    byte[][] keys = new byte[Math.max(1, p.get("keys").asInt())][];
    for (int i = 0; i < keys.length; i++) keys[i] = ("key-" + i).getBytes(StandardCharsets.UTF_8);
    long max = (long) (p.get("maxBytes").asDouble() / size);
    int batch = p.get("batch").asInt();
    int inflight = p.get("inflight").asInt();
    producer.partitionsFor(topic);
    keyedRun(producer, topic, value, keys, p.get("warmupSeconds").asDouble(), max, batch, inflight);
    tick(label + " warm-up");
    ArrayNode reps = JSON.createArrayNode();
    for (int r = 0; r < p.get("reps").asInt(); r++) {
      double c0 = cpuSeconds();
      double[] res = keyedRun(producer, topic, value, keys, p.get("seconds").asDouble(), max, batch, inflight);
      double cpu = cpuSeconds() - c0;
      ObjectNode rep = reps.addObject();
      rep.put("msgsPerSec", res[0] / res[1]);
      rep.put("mbPerSec", res[0] * size / res[1] / 1e6);
      rep.put("messages", (long) res[0]);
      rep.put("seconds", res[1]);
      rep.put("cpuPerMillion", cpu / res[0] * 1e6);
      tick(label + " rep " + (r + 1));
    }
    return medians(reps, "msgsPerSec", "mbPerSec", "cpuPerMillion");
  }
}
