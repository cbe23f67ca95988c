using System.Text.Json.Nodes;
using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Tests.Support;
using Subclone.Training;

namespace Subclone.Tests.Training;

public class ImageTrainerTests
{
    [SharedFact]
    public void A_tiny_ViT_learns_MNIST_digits()
    {
        var config = ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "vit", ["hidden_size"] = 48, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 3,
            ["intermediate_size"] = 96, ["image_size"] = 16, ["patch_size"] = 4, ["num_channels"] = 1,
            ["id2label"] = new JsonObject(Enumerable.Range(0, 10).Select(i => KeyValuePair.Create(i.ToString(), (JsonNode?)i.ToString()))),
        }, "vit config");
        var model = TransformerModel.Create(config, seed: 0);
        using var images = ImageDataset.LoadIdx(SharedData.Data("mnist/t10k-images-idx3-ubyte.gz"), SharedData.Data("mnist/t10k-labels-idx1-ubyte.gz"), ImageTransform.For(config));
        using var train = images.Subset(Enumerable.Range(0, 9000).ToList());
        using var validation = images.Subset(Enumerable.Range(9000, 1000).ToList());
        var options = new TrainingOptions { Steps = 150, BatchSize = 64, SequenceLength = 1, LearningRate = 3e-3, WeightDecay = 0.05, WarmupSteps = 15, EvalEvery = 75, Seed = 1 };
        using var trainer = new TrainingLoop(new ImageClassificationTask(model, train, validation, options));

        trainer.Run();

        var errors = trainer.History.Where(h => h.Validation is not null).Select(h => h.Validation!.Value).ToList();
        Assert.InRange(errors[0], 0.7, 1.0);          // about 90% wrong before training
        Assert.True(errors[^1] < 0.5, $"top-1 error after 150 steps: {errors[^1]:P1}");
    }
}
