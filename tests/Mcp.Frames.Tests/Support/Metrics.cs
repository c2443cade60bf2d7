using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Support;

/// <summary>A meter factory of its own per test, as DI gives each host.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly ConcurrentBag<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (Meter meter in _meters)
        {
            meter.Dispose();
        }
    }
}

/// <summary>Listens to one meter: sums what counters and histograms recorded, and collects the observable counters on demand.</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, string? Link, double Value)> _recorded = new();
    private readonly ConcurrentDictionary<(string, string?), long> _observed = new();

    public MetricsRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                Published.Add(instrument.Name);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, LinkOf(tags)));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, LinkOf(tags)));
        _listener.Start();
    }

    public ConcurrentBag<string> Published { get; } = [];

    public long Sum(string instrument, string link) => (long)_recorded.Where(m => m.Instrument == instrument && m.Link == link).Sum(m => m.Value);

    public double[] Values(string instrument, string link) => [.. _recorded.Where(m => m.Instrument == instrument && m.Link == link).Select(m => m.Value)];

    /// <summary>The observable counters now, by instrument and link.</summary>
    public IReadOnlyDictionary<(string, string?), long> Collect()
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        return new Dictionary<(string, string?), long>(_observed);
    }

    public void Dispose() => _listener.Dispose();

    private static string? LinkOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "mcp.link")
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private void OnMeasurement(Instrument instrument, double value, string? link)
    {
        if (instrument.IsObservable)
        {
            Assert.That(_observed.TryAdd((instrument.Name, link), (long)value), Is.True, $"{instrument.Name}: one measurement per link");
        }
        else
        {
            _recorded.Enqueue((instrument.Name, link, value));
        }
    }
}
