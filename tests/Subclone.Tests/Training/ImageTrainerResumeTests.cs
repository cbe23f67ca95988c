using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Tests.Support;
using Subclone.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Tests.Training;

public class ImageTrainerResumeTests
{
    static ImageDataset RandomImages(int count) =>
        new(randint(0, 256, [count, 8, 8], dtype: ScalarType.Byte, generator: new Generator(7)), arange(count) % 3,
            new ImageTransform { ImageSize = 8, Channels = 1 }, "random images");

    [Fact]
    public void A_run_stopped_and_resumed_from_its_checkpoint_ends_bit_identical_to_an_unbroken_one()
    {
        using var dir = new TempDir();
        using var train = RandomImages(40);   // 5 batches of 8 per epoch: the 12 steps cross two epoch boundaries
        using var validation = RandomImages(9);
        var options = new TrainingOptions { Steps = 12, BatchSize = 8, SequenceLength = 1, LearningRate = 3e-3, WarmupSteps = 2, EvalEvery = 4, Seed = 5 };
        var augmentation = new ImageAugmentation(CropPadding: 1, HorizontalFlip: true);  // its draws must be replayed too

        var unbroken = TinyModels.Vit();
        using (var trainer = new TrainingLoop(new ImageClassificationTask(unbroken, train, validation, options, augmentation), dir["a"]))
            trainer.Run();

        using (var first = new TrainingLoop(new ImageClassificationTask(TinyModels.Vit(), train, validation, options, augmentation), dir["b"]))
        {
            var summary = first.Run(stopAfterStep: 7);
            Assert.Equal((7, true), (summary.Step, summary.Stopped));
        }
        var checkpoint = TrainingCheckpoint.Load(dir["b"]);
        Assert.Equal(7, checkpoint.State.Step);
        Assert.Equal(augmentation, checkpoint.State.Augmentation);
        using (var resumed = new TrainingLoop(new ImageClassificationTask(checkpoint.Model, train, validation, checkpoint.State.Options, checkpoint.State.Augmentation), dir["b"], checkpoint))
        {
            var summary = resumed.Run();
            Assert.Equal((12, 5), (summary.Step, summary.StepsThisRun));
        }

        ModelAssert.BitIdentical(unbroken, checkpoint.Model);
        Assert.Equal(File.ReadAllText(Path.Combine(dir["a"], MetricsLog.CsvFile)).Split('\n').Select(DropTiming),
            File.ReadAllText(Path.Combine(dir["b"], MetricsLog.CsvFile)).Split('\n').Select(DropTiming));
    }

    [Fact]
    public void Training_moves_the_weights_and_reports_images_seen()
    {
        using var train = RandomImages(32);
        using var validation = RandomImages(8);
        var model = TinyModels.Vit();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var trainer = new TrainingLoop(new ImageClassificationTask(model, train, validation, new TrainingOptions { Steps = 3, BatchSize = 8, SequenceLength = 1, EvalEvery = 0 }));

        var summary = trainer.Run();

        Assert.Equal(24, summary.Seen);
        Assert.Contains(model.state_dict(), kv => !ModelAssert.BitEqual(before[kv.Key], kv.Value));
    }

    /// <summary>The CSV row without tokens_per_s and elapsed_s, which are wall-clock measurements.</summary>
    static string DropTiming(string row) => string.Join(",", row.Split(',').Take(7));
}
