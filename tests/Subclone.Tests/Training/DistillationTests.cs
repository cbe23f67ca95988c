using Subclone.Data;
using Subclone.Models;
using Subclone.Tests.Support;
using Subclone.Training;
using static TorchSharp.torch;

namespace Subclone.Tests.Training;

public class DistillationTests
{
    /// <summary>KL(teacher ‖ student) of the final model on fixed windows, at temperature 1.</summary>
    static double KlToTeacher(TransformerModel student, TransformerModel teacher, TokenBatcher batcher)
    {
        using var _ = no_grad();
        double total = 0;
        foreach (var batch in batcher.ValidationSet(2))
        {
            var ids = batch.Input;
            var s = nn.functional.log_softmax(student.Forward(ids), -1);
            var t = nn.functional.log_softmax(teacher.Forward(ids), -1);
            total += (t.exp() * (t - s)).sum(-1).mean().item<float>();
        }
        return total;
    }

    [Fact]
    public void Distilling_pulls_the_child_toward_the_teachers_distribution()
    {
        using var dir = new TempDir();
        var tokenizer = TrainingTestKit.ByteTokenizer(dir);
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["stories.txt"], 100)], tokenizer, dir["cache"]);
        var options = new TrainingOptions { Steps = 30, BatchSize = 4, SequenceLength = 32, LearningRate = 3e-3, WarmupSteps = 3, EvalEvery = 0, Seed = 3 };
        var teacher = TrainingTestKit.Gpt2(seed: 99);  // a different network whose distribution is easy to tell apart

        TransformerModel Train(TransformerModel? withTeacher)
        {
            var student = TrainingTestKit.Gpt2(seed: 1);
            using var trainer = new TrainingLoop(new LanguageModelTask(student, new TokenBatcher(data, 4, 32, 7), options with { DistillWeight = 5 }) { Teacher = withTeacher });
            trainer.Run();
            return student;
        }

        double plain = KlToTeacher(Train(null), teacher, new TokenBatcher(data, 4, 32, 7));
        double distilled = KlToTeacher(Train(teacher), teacher, new TokenBatcher(data, 4, 32, 7));
        Assert.True(distilled < plain * 0.8, $"KL to the teacher: plain {plain}, distilled {distilled}");
    }

    [Fact]
    public void Distillation_options_are_validated_and_survive_a_checkpoint()
    {
        Assert.Throws<UserInputException>(() => new TrainingOptions { DistillTemperature = 0 }.Validate());
        var back = TrainingOptions.FromJson(new TrainingOptions { DistillTemperature = 4, DistillWeight = 0.5 }.ToJson(), "state");
        Assert.Equal((4.0, 0.5), (back.DistillTemperature, back.DistillWeight));
    }
}
