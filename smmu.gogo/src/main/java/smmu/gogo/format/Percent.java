package smmu.gogo.format;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a ratio (0..1, a double) that tables print as a percentage with one decimal ({@code 92.5%}, NaN as
 * {@code -}); JSON keeps the ratio. Every hit rate of the shell is one.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Percent {}
