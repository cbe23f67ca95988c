using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>Streaming calibration reads block i + 1 on a background task while block i computes: the same scores as
/// reading in turn, and a bad weight in a block read ahead still fails the call with its own message.</summary>
public class StreamingOverlapTests
{
    [SharedTheory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny-gqa")]
    [InlineData("mixtral-tiny")]
    public void Reading_ahead_gives_the_scores_of_reading_in_turn(string name)
    {
        using var reader = CheckpointReader.Open(SharedData.Fixture(name));
        var batches = CloneTestKit.RandomBatches(reader.Config, batches: 2, batch: 3, seq: 10, seed: 4);
        var done = new List<int>();

        var inTurn = StreamingCloner.Measure(reader, batches, "random ids", 4, overlapReading: false);
        var ahead = StreamingCloner.Measure(reader, batches, "random ids", 4, new Recorder(done));

        Assert.Equal(inTurn.ToJson(), ahead.ToJson());
        Assert.Equal(Enumerable.Range(1, reader.Config.Layers + 1), done);
    }

    [SharedTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_NaN_in_a_block_read_ahead_fails_with_the_readers_message(int layer)
    {
        using var dir = new TempDir();
        var model = HfCheckpoint.Load(SharedData.Fixture("gpt2-tiny")).Model;
        using (no_grad()) model.state_dict()[$"transformer.h.{layer}.attn.c_proj.weight"][2, 7] = float.NaN;
        HfCheckpoint.Save(model, dir["poisoned"], ScalarType.Float32);
        using var reader = CheckpointReader.Open(dir["poisoned"]);

        var error = Assert.Throws<CheckpointException>(() =>
            StreamingCloner.Measure(reader, CloneTestKit.RandomBatches(reader.Config), "random ids", 1));
        Assert.Contains($"'transformer.h.{layer}.attn.c_proj.weight' contains NaN or Inf", error.Message);
    }

    /// <summary>Records progress as it is reported (System.Progress would post it to the thread pool, out of order).</summary>
    sealed class Recorder(List<int> done) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => done.Add(value.Done);
    }
}
