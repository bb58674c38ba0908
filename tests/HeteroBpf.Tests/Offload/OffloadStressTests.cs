using System.Buffers.Binary;
using System.Collections.Concurrent;
using HeteroBpf.Devices;
using HeteroBpf.Offload;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// Device removal under load: four threads do map operations and runs through the device while its only port is
/// removed and a new one added, 100 times. Nothing crashes, no map holds a value its writers never wrote, every
/// failed operation is reported as <see cref="DeviceRemovedException"/>, and the last generation's counter equals the
/// runs that reported success on it.
/// </summary>
public sealed class OffloadStressTests
{
    private sealed class Generation : IDisposable
    {
        public Generation(SimDevice sim)
        {
            Counters = sim.CreateMap(Array());
            Table = sim.CreateMap(Hash(entries: 64));
            Program = sim.Load(XdpProgram(Counter), [Counters]);
        }

        public BpfDeviceMap Counters { get; }

        public BpfDeviceMap Table { get; }

        public BpfDeviceProgram Program { get; }

        public long Runs;

        public void Dispose()
        {
            Program.Dispose();
            Counters.Dispose();
            Table.Dispose();
        }
    }

    // What a writer stores under a key: the key spread over 8 bytes, so a torn or foreign value shows.
    private static ulong Expected(uint key) => key * 0x0101_0101_0101_0101ul ^ 0x5a5a_0000_0000_5a5aul;

    [Fact]
    public void MapOperationsAndRunsSurviveRemovingAndReAddingTheDevice100Times()
    {
        var sim = new SimDevice("stress");
        var current = new Generation(sim);
        var all = new List<Generation> { current };
        var errors = new ConcurrentQueue<Exception>();
        long removedFailures = 0, mapSuccesses = 0, runSuccesses = 0;
        bool stop = false;

        void Worker(int id)
        {
            var random = new Random(id);
            var packet = Packet();
            var value = new byte[8];
            var next = new byte[4];
            while (!Volatile.Read(ref stop))
            {
                var g = Volatile.Read(ref current);
                try
                {
                    if (id < 2)
                    {
                        uint key = (uint)random.Next(32);
                        var errno = g.Table.Update(Key(key), Value(Expected(key)));
                        Assert.True(errno is Errno.Ok or Errno.E2BIG, $"update gave {errno}");
                        errno = g.Table.Lookup(Key(key), value);
                        Assert.True(errno is Errno.Ok or Errno.ENOENT, $"lookup gave {errno}");
                        if (errno == Errno.Ok) Assert.Equal(Expected(key), BinaryPrimitives.ReadUInt64LittleEndian(value));
                        if (random.Next(4) == 0) _ = g.Table.Delete(Key((uint)random.Next(32)));
                        byte[] walk = [];
                        int steps = 0;
                        while (g.Table.GetNextKey(walk, next) == Errno.Ok && steps++ < 128) walk = (byte[])next.Clone();
                        Interlocked.Increment(ref mapSuccesses);
                    }
                    else
                    {
                        var r = g.Program.TestRun(sim, packet);
                        Assert.Equal(Errno.Ok, r.Error);
                        Assert.Equal(2u, r.Retval);
                        Interlocked.Increment(ref g.Runs);
                        Interlocked.Increment(ref runSuccesses);
                    }
                }
                catch (DeviceRemovedException)
                {
                    Interlocked.Increment(ref removedFailures);
                    // Reported; now wait for the device to come back rather than fail in a tight loop.
                    while (ReferenceEquals(Volatile.Read(ref current), g) && !Volatile.Read(ref stop)) Thread.Sleep(1);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                    return;
                }
            }
        }

        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() => Worker(i)) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        for (int i = 0; i < 100; i++)
        {
            Thread.Sleep(1);
            var old = current;
            sim.RemovePort(sim.Ports[0]);
            Assert.True(old.Program.IsOrphaned);
            Assert.True(old.Table.IsOrphaned);
            sim.AddPort();
            var fresh = new Generation(sim);
            all.Add(fresh);
            Volatile.Write(ref current, fresh);
        }

        Thread.Sleep(20);
        Volatile.Write(ref stop, true);
        threads.ForEach(t => t.Join());
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
        Assert.True(removedFailures > 0, "no operation ever met a removed device");
        Assert.True(mapSuccesses > 0 && runSuccesses > 0, $"map operations {mapSuccesses}, runs {runSuccesses}");

        // The last generation was never removed: its counter holds exactly the runs that reported success.
        var last = all[^1];
        var counter = new byte[8];
        Assert.Equal(Errno.Ok, last.Counters.Lookup(Key(0), counter));
        Assert.Equal((ulong)last.Runs, BinaryPrimitives.ReadUInt64LittleEndian(counter));
        foreach (var (key, value) in last.Table.Entries())
        {
            Assert.Equal(Expected(BinaryPrimitives.ReadUInt32LittleEndian(key)), BinaryPrimitives.ReadUInt64LittleEndian(value));
        }

        Assert.Equal(100, sim.Programs.Count(p => p.IsOrphaned));
        foreach (var g in all) g.Dispose();
        Assert.Empty(sim.Programs);
    }
}
