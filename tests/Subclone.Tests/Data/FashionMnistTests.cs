using Subclone.Data.Images;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

public class FashionMnistTests
{
    [FashionMnistFact]
    public void Debians_Fashion_MNIST_reads_as_70000_balanced_28x28_images_in_10_classes()
    {
        var transform = new ImageTransform { ImageSize = 28, Channels = 1 };
        using var train = ImageDataset.LoadIdx(FashionMnist.File("train-images-idx3-ubyte.gz"), FashionMnist.File("train-labels-idx1-ubyte.gz"), transform);
        using var test = ImageDataset.LoadIdx(FashionMnist.File("t10k-images-idx3-ubyte.gz"), FashionMnist.File("t10k-labels-idx1-ubyte.gz"), transform);

        Assert.Equal((60_000, 10_000), (train.Count, test.Count));
        Assert.Equal((10, 10), (train.Classes, test.Classes));
        Assert.All(train.Labels().CountBy(l => l), c => Assert.Equal(6_000, c.Value));
        Assert.All(test.Labels().CountBy(l => l), c => Assert.Equal(1_000, c.Value));
        Assert.Equal(9, test.Labels()[0]);  // the first test image is an ankle boot
        using var batch = test.Batch([0]);
        Assert.Equal([1L, 1, 28, 28], batch.Pixels.shape);
    }
}
