using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Data;
using Subclone.Tests.Support;
using Subclone.Training;

namespace Subclone.Tests;

/// <summary>The C# example in the README, kept compiling and working.</summary>
public class ReadmeExampleTests
{
    [SharedFact]
    public void The_README_library_example_runs()
    {
        using var dir = new TempDir();
        string parentDir = SharedData.Fixture("hf-tiny-random-gpt2"), text = SharedData.Data("tinystories/tinystories_valid_prefix.txt");
        string childDir = dir["child"];

        // --- README example (keep in sync) ---
        var parent = ModelSource.Load(parentDir);                                    // HF directory, Hub id, llama2.c .bin or "minilm"
        var data = CalibrationData.Prepare(parent, [text], samples: 16, length: 64, seed: 0);
        var scores = Calibrator.Measure(parent.Model, data.Calibration, data.Source, seed: 0);
        var child = Subcloner.Clone(parent.Model, CloneTarget.FromRatio(parent.Model.Config, 0.5), scores, new CloneOptions()).Child;
        using var tokens = TokenCache.Open([text], parent.Tokenizer!, dir["cache"]);
        var options = new TrainingOptions { Steps = 20, BatchSize = 4, SequenceLength = 64, LearningRate = 1e-3, EvalEvery = 10 };
        using (var loop = new TrainingLoop(new LanguageModelTask(child, new TokenBatcher(tokens, 4, 64, seed: 1), options)))
            loop.Run();
        HfCheckpoint.Save(child, childDir, TorchSharp.torch.ScalarType.Float32, companionSource: parentDir);
        // --- end of README example ---

        var saved = HfCheckpoint.Load(childDir);
        Assert.Equal(16, saved.Model.Config.Hidden);
        Assert.True(File.Exists(Path.Combine(childDir, "vocab.json")));
    }
}
